// A small MCP server (stdio) for what the stock servers do not do on cue:
// a tool whose result is an error, a tool that adds another tool (so the
// server sends notifications/tools/list_changed), and its pid on request.
// Started as `node scripted.mjs [--delay-ms N] [--exit-after-calls N]`
// for stdio, or with `--http` to serve streamable HTTP on a free port of
// 127.0.0.1 (it prints `listening on PORT` first).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const delayMs = option("--delay-ms", 0);
const exitAfterCalls = option("--exit-after-calls", 0);
let calls = 0;

const server = new McpServer({ name: "scripted", version: "1.0.0" });
const counted = (handler) => async (...args) => {
  calls += 1;
  const result = await handler(...args);
  if (exitAfterCalls && calls >= exitAfterCalls) {
    setTimeout(() => process.exit(0), 10);
  }
  return result;
};

server.registerTool(
  "fail",
  { description: "Always fails" },
  counted(async () => ({ content: [{ type: "text", text: "this tool always fails" }], isError: true })),
);
server.registerTool(
  "add-tool",
  { description: "Adds the tool `late`" },
  counted(async () => {
    server.registerTool("late", { description: "Added later" }, async () => ({
      content: [{ type: "text", text: "late tool called" }],
    }));
    return { content: [{ type: "text", text: "added `late`" }] };
  }),
);
server.registerTool(
  "pid",
  { description: "Says its process id", annotations: { readOnlyHint: true } },
  counted(async () => ({ content: [{ type: "text", text: String(process.pid) }] })),
);

server.registerTool(
  "headers",
  // With no input schema, a handler gets only the request's `extra`.
  { description: "Says which HTTP headers its request had", annotations: { readOnlyHint: true } },
  counted(async (extra) => {
    const headers = extra.requestInfo?.headers ?? {};
    const seen = {};
    for (const name of ["authorization", "x-team", "x-key"]) {
      if (headers[name] !== undefined) seen[name] = headers[name];
    }
    return { content: [{ type: "text", text: JSON.stringify(seen) }] };
  }),
);

if (delayMs > 0) {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
}
if (process.argv.includes("--http")) {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await server.connect(transport);
  const http = createServer(async (request, response) => {
    if (request.url !== "/mcp") {
      response.writeHead(404).end("not here");
      return;
    }
    let body = "";
    for await (const chunk of request) body += chunk;
    await transport.handleRequest(request, response, body ? JSON.parse(body) : undefined);
  });
  http.listen(0, "127.0.0.1", () => console.log(`listening on ${http.address().port}`));
} else {
  await server.connect(new StdioServerTransport());
}
