//! The tools that list and read MCP servers' resources, offered when a
//! ready server has resources: `list_mcp_resources`,
//! `list_mcp_resource_templates` and `read_mcp_resource` (the reference's
//! names). Listing and reading change nothing, so they never ask.

use super::content::ToolAnswer;
use super::manager::McpManager;
use rmcp::model::{PaginatedRequestParams, ReadResourceRequestParams};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const LIST: &str = "list_mcp_resources";
pub(crate) const TEMPLATES: &str = "list_mcp_resource_templates";
pub(crate) const READ: &str = "read_mcp_resource";

/// How long one listing or read may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Whether `name` is one of these tools.
pub(crate) fn is_resource_tool(name: &str) -> bool {
    matches!(name, LIST | TEMPLATES | READ)
}

/// Their function definitions (keys sorted, as every spec is).
pub(crate) fn specs() -> Vec<Value> {
    let list = |name: &str, what: &str| {
        json!({
            "description": format!("List the {what} the MCP servers offer, with the server each belongs to. Give `server` to list one server's; a `cursor` from a previous answer (with its `server`) gets the next page."),
            "name": name,
            "parameters": {
                "additionalProperties": false,
                "properties": {
                    "cursor": {"description": "The `nextCursor` of a previous answer.", "type": "string"},
                    "server": {"description": "Only this server's.", "type": "string"}
                },
                "type": "object"
            },
            "strict": false,
            "type": "function"
        })
    };
    vec![
        list(LIST, "resources"),
        list(TEMPLATES, "resource templates (URI patterns)"),
        json!({
            "description": "Read one resource of an MCP server by its URI (from `list_mcp_resources`, a template, or a tool's resource link).",
            "name": READ,
            "parameters": {
                "additionalProperties": false,
                "properties": {
                    "server": {"description": "The server that has it.", "type": "string"},
                    "uri": {"description": "The resource's URI.", "type": "string"}
                },
                "required": ["server", "uri"],
                "type": "object"
            },
            "strict": false,
            "type": "function"
        }),
    ]
}

#[derive(Debug, Default, Deserialize)]
struct ListArgs {
    server: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReadArgs {
    server: String,
    uri: String,
}

/// Run one of these tools; the error is for the model.
pub(crate) async fn run(
    manager: &McpManager,
    name: &str,
    arguments: &str,
) -> Result<ToolAnswer, String> {
    let arguments = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    let bad = |error: serde_json::Error| {
        format!(
            "failed to parse the arguments of `{name}`: {error}; send a JSON object that matches the tool's schema"
        )
    };
    match name {
        READ => {
            let args: ReadArgs = serde_json::from_str(arguments).map_err(bad)?;
            read(manager, &args.server, &args.uri).await
        }
        _ => {
            let args: ListArgs = serde_json::from_str(arguments).map_err(bad)?;
            let listing = list(manager, args, name == TEMPLATES).await?.to_string();
            Ok(super::content::answer(
                &json!({"content": [{"type": "text", "text": listing}]}),
            ))
        }
    }
}

/// Resources (or templates) of one server, one page; or of every server
/// with resources, all pages.
async fn list(manager: &McpManager, args: ListArgs, templates: bool) -> Result<Value, String> {
    let key = if templates {
        "resourceTemplates"
    } else {
        "resources"
    };
    let servers = match &args.server {
        Some(server) => vec![(server.clone(), manager.ready(server).await?)],
        None if args.cursor.is_some() => {
            return Err("a `cursor` belongs to one server's listing: give its `server` too".into());
        }
        None => manager.resource_servers().await,
    };
    let mut entries = Vec::new();
    let mut next_cursor = None;
    for (server, live) in servers {
        if !live.has_resources() {
            return Err(format!("MCP server `{server}` has no resources"));
        }
        let peer = live.peer();
        let page = PaginatedRequestParams::default().with_cursor(args.cursor.clone());
        let one_page = args.server.is_some();
        let listed: Result<Value, String> = tokio::time::timeout(TIMEOUT, async {
            let to_json = |value: Result<Value, serde_json::Error>| {
                value.map_err(|error| format!("an unreadable answer: {error}"))
            };
            match (templates, one_page) {
                (false, true) => {
                    let result = peer
                        .list_resources(Some(page))
                        .await
                        .map_err(|e| e.to_string())?;
                    to_json(serde_json::to_value(result))
                }
                (false, false) => {
                    let all = peer.list_all_resources().await.map_err(|e| e.to_string())?;
                    to_json(serde_json::to_value(json!({ "resources": all })))
                }
                (true, true) => {
                    let result = peer
                        .list_resource_templates(Some(page))
                        .await
                        .map_err(|e| e.to_string())?;
                    to_json(serde_json::to_value(result))
                }
                (true, false) => {
                    let all = peer
                        .list_all_resource_templates()
                        .await
                        .map_err(|e| e.to_string())?;
                    to_json(serde_json::to_value(json!({ "resourceTemplates": all })))
                }
            }
        })
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())));
        let listed = listed.map_err(|error| {
            format!("listing the {key} of MCP server `{server}` failed: {error}")
        })?;
        for mut entry in listed[key].as_array().cloned().unwrap_or_default() {
            if let Value::Object(fields) = &mut entry {
                fields.insert("server".to_string(), Value::String(server.clone()));
            }
            entries.push(entry);
        }
        if one_page {
            next_cursor = listed.get("nextCursor").cloned();
        }
    }
    let mut answer = json!({ key: entries });
    if let Some(cursor) = next_cursor.filter(|cursor| !cursor.is_null()) {
        answer["nextCursor"] = cursor;
    }
    Ok(answer)
}

/// One resource, as the model takes content (text as text, images as
/// images).
async fn read(manager: &McpManager, server: &str, uri: &str) -> Result<ToolAnswer, String> {
    let live = manager.ready(server).await?;
    let request = ReadResourceRequestParams::new(uri.to_string());
    let read = tokio::time::timeout(TIMEOUT, live.peer().read_resource(request))
        .await
        .map_err(|_| {
            format!(
                "MCP server `{server}` did not send `{uri}` within {} s",
                TIMEOUT.as_secs()
            )
        })?
        .map_err(|error| format!("MCP server `{server}` could not read `{uri}`: {error}"))?;
    let read = serde_json::to_value(read)
        .map_err(|error| format!("the answer for `{uri}` is unreadable: {error}"))?;
    // Each part is translated as the embedded resource of a tool result.
    let blocks: Vec<Value> = read["contents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|resource| json!({"type": "resource", "resource": resource}))
        .collect();
    Ok(super::content::answer(&json!({ "content": blocks })))
}
