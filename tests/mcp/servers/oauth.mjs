// An MCP server (streamable HTTP) that requires OAuth, on the official
// SDK's auth support: its authorization server is the SDK's demo provider
// (dynamic client registration, PKCE, and a login that approves at once).
// Ports from MCP_PORT and MCP_AUTH_PORT; the resource must be this server
// (`http://localhost:MCP_PORT/mcp`).
import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthMetadataRouter,
} from "@modelcontextprotocol/sdk/server/auth/router.js";
import { setupAuthServer } from "@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js";
import { randomUUID } from "node:crypto";

const mcpPort = Number(process.env.MCP_PORT);
const authPort = Number(process.env.MCP_AUTH_PORT);
const mcpServerUrl = new URL(`http://localhost:${mcpPort}/mcp`);
const authServerUrl = new URL(`http://localhost:${authPort}`);
const oauthMetadata = setupAuthServer({ authServerUrl, mcpServerUrl, strictResource: true });

const verifier = {
  verifyAccessToken: async (token) => {
    const response = await fetch(oauthMetadata.introspection_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
    });
    if (!response.ok) throw new Error("invalid token");
    const data = await response.json();
    return {
      token,
      clientId: data.client_id,
      scopes: data.scope ? data.scope.split(" ") : [],
      expiresAt: data.exp,
    };
  },
};

const app = express();
app.use(express.json());
app.use(
  mcpAuthMetadataRouter({
    oauthMetadata,
    resourceServerUrl: mcpServerUrl,
    scopesSupported: ["mcp:tools"],
    resourceName: "duet test server",
  }),
);
const auth = requireBearerAuth({
  verifier,
  requiredScopes: [],
  resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpServerUrl),
});

const server = new McpServer({ name: "secure", version: "1.0.0" });
server.registerTool(
  "whoami",
  { description: "Says which OAuth client called", annotations: { readOnlyHint: true } },
  async (extra) => ({ content: [{ type: "text", text: `client ${extra.authInfo?.clientId}` }] }),
);
const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
await server.connect(transport);
app.all("/mcp", auth, (request, response) => transport.handleRequest(request, response, request.body));
app.listen(mcpPort, () => console.log(`listening on ${mcpPort}`));
