// Drives duet through the official TypeScript SDK, exactly as a program
// written for `codex exec` would, and prints what the SDK saw as one JSON
// object on stdout. The Rust test `tests/sdk_dropin.rs` starts the mock
// model server, runs this script, and checks both sides.
//
// Environment: DUET_BIN (the duet binary), MOCK_BASE_URL (".../v1"),
// WORKDIR (a git repository), DUET_HOME (a temporary home).
import { Codex } from "@openai/codex-sdk";

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
};

const codex = new Codex({
  codexPathOverride: required("DUET_BIN"),
  baseUrl: required("MOCK_BASE_URL"),
  apiKey: "sk-sdk-test",
  env: {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: required("DUET_HOME"),
    DUET_HOME: required("DUET_HOME"),
  },
});

const thread = codex.startThread({
  workingDirectory: required("WORKDIR"),
  skipGitRepoCheck: true,
  sandboxMode: "danger-full-access",
  model: "gpt-5.5",
});

// Turn 1, streamed: every event as the SDK parsed it.
const streamed = await thread.runStreamed("list the files");
const events = [];
for await (const event of streamed.events) {
  events.push(event);
}
const threadIdAfterFirst = thread.id;

// Turn 2 resumes the same thread with an output schema.
const second = await thread.run("answer in JSON", {
  outputSchema: {
    type: "object",
    properties: { answer: { type: "string" } },
    required: ["answer"],
    additionalProperties: false,
  },
});

console.log(
  JSON.stringify({
    threadIdAfterFirst,
    threadIdAfterSecond: thread.id,
    events,
    second,
  }),
);
