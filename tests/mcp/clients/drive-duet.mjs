// Drives `duet mcp-server` with the official MCP TypeScript SDK client:
// lists its tools, calls `duet` on a task (answering the approval it asks
// for as an elicitation, counting progress and log notifications), then
// `duet-reply` on the thread it answered. Prints what it saw as JSON.
// Usage: node drive-duet.mjs DUET REPO BASE_URL [--no-elicitation]
// (without elicitation the client cannot be asked, so duet declines).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

const [duet, repo, baseUrl, mode] = process.argv.slice(2);
const elicits = mode !== "--no-elicitation";
const transport = new StdioClientTransport({
  command: duet,
  args: ["mcp-server"],
  env: process.env,
  cwd: repo,
  stderr: "inherit",
});
const client = new Client(
  { name: "duet-test-client", version: "1.0.0" },
  { capabilities: elicits ? { elicitation: {} } : {} },
);
const elicitations = [];
if (elicits) {
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    elicitations.push(request.params.message);
    return { action: "accept", content: {} };
  });
}
// The SDK handles a notification a moment after reading it, a response at
// once: progress that arrives in the same read as its call's answer finds
// its handler gone and is reported here instead.
const clientErrors = [];
client.onerror = (error) => clientErrors.push(String(error));
const logged = [];
client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
  logged.push(notification.params.data?.type);
});

await client.connect(transport);
const tools = await client.listTools();
const progress = [];
const first = await client.callTool(
  {
    name: "duet",
    arguments: {
      prompt: "make the file",
      cwd: repo,
      sandbox: "workspace-write",
      "approval-policy": "untrusted",
      config: { openai_base_url: baseUrl },
    },
  },
  undefined,
  { onprogress: (update) => progress.push(update.message) },
);
if (!elicits) {
  console.log(JSON.stringify({ first, elicitations }));
  await client.close();
  process.exit(0);
}
const second = await client.callTool({
  name: "duet-reply",
  arguments: { threadId: first.structuredContent.threadId, prompt: "thanks" },
});
const unknown = await client.callTool({
  name: "duet-reply",
  arguments: { threadId: "no-such-thread", prompt: "hello?" },
});
console.log(
  JSON.stringify({
    tools: tools.tools.map((tool) => tool.name),
    first,
    second,
    unknown,
    elicitations,
    progress,
    clientErrors,
    logged,
  }),
);
await client.close();
