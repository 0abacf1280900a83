//! Streamable HTTP servers (not yet reachable: the next step of issue 19).

use crate::config::mcp::McpServerConfig;

/// The transport to `server`'s URL.
pub(super) fn transport(
    server: &McpServerConfig,
) -> Result<
    rmcp::transport::async_rw::AsyncRwTransport<
        rmcp::RoleClient,
        tokio::io::Empty,
        tokio::io::Sink,
    >,
    String,
> {
    Err(format!(
        "MCP server `{}` is a streamable HTTP server; duet connects only to stdio servers so far",
        server.name
    ))
}
