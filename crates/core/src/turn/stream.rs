//! Streaming one model request: turning the response's events into
//! protocol events as they arrive (text deltas, finished items) and the
//! finished items into history, and collecting the tool calls. The loop
//! around it is `turn.rs`.

use super::*;
use std::collections::HashMap;

/// What one sampling request produced.
pub(super) struct Sample {
    pub(super) calls: Vec<ToolCall>,
    /// Set when the stream broke before `response.completed`, or the model
    /// refused the request as too long for its window.
    pub(super) broken: Option<ModelError>,
}

impl Turn {
    /// One model request: stream it, turning finished items into events and
    /// history, and collect the tool calls.
    pub(super) async fn sample(
        &mut self,
        mut request: ResponsesRequest,
        history: &mut Vec<ResponseItem>,
        cancel: &CancellationToken,
    ) -> Result<Sample, TurnError> {
        let mut on_retry = self.retry_notices();
        let stream = tokio::select! {
            _ = cancel.cancelled() => None,
            stream = self.settings.model.client.stream(&request, &self.services.thread_id, &mut on_retry) => Some(stream),
        };
        // The body is sent (or will not be): the history comes back.
        *history = std::mem::take(&mut request.input);
        let Some(stream) = stream else {
            return Err(TurnError::Cancelled);
        };
        let mut stream = match stream {
            Ok(stream) => stream,
            // The turn loop compacts and sends it again.
            Err(ModelError::ContextWindowExceeded) => {
                return Ok(Sample {
                    calls: Vec::new(),
                    broken: Some(ModelError::ContextWindowExceeded),
                });
            }
            Err(error) => return Err(TurnError::Fatal(error.to_string())),
        };

        let mut calls = Vec::new();
        // The model's id of the message being streamed -> our item id.
        let mut streaming_ids: HashMap<String, String> = HashMap::new();
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return Err(TurnError::Cancelled),
                next = stream.next() => next,
            };
            let event = match next {
                None => {
                    // The client reports a stream cut before `response.completed`
                    // as a retryable error, so an early end is a bug there.
                    return Err(TurnError::Fatal(
                        "the model stream ended before the response completed".to_string(),
                    ));
                }
                Some(Err(error)) => {
                    if error.is_retryable()
                        || (matches!(error, ModelError::ContextWindowExceeded) && calls.is_empty())
                    {
                        return Ok(Sample {
                            calls,
                            broken: Some(error),
                        });
                    }
                    return Err(TurnError::Fatal(error.to_string()));
                }
                Some(Ok(event)) => event,
            };
            match event {
                ResponseEvent::Created { .. } => {}
                ResponseEvent::OutputItemAdded(item) => {
                    if let Some(model_id) = streamed_item_id(&item) {
                        streaming_ids.insert(model_id, self.services.events.item_id());
                    }
                }
                ResponseEvent::OutputTextDelta { item_id, delta } => {
                    let item_id = self.delta_item_id(&mut streaming_ids, item_id);
                    self.send(EventMsg::AgentMessageDelta { item_id, delta });
                }
                ResponseEvent::ReasoningSummaryDelta { item_id, delta } => {
                    let item_id = self.delta_item_id(&mut streaming_ids, item_id);
                    self.send(EventMsg::ReasoningDelta { item_id, delta });
                }
                ResponseEvent::OutputItemDone(item) => {
                    let item_id = streamed_item_id(&item)
                        .and_then(|model_id| streaming_ids.remove(&model_id));
                    self.item_done(&item, item_id, &mut calls);
                    history.push(item);
                    self.save_history(history);
                }
                ResponseEvent::Completed { usage, .. } => {
                    if let Some(usage) = usage {
                        self.add_usage(usage);
                    }
                    return Ok(Sample {
                        calls,
                        broken: None,
                    });
                }
                ResponseEvent::Warning(message) => self.send(EventMsg::Warning { message }),
            }
        }
    }

    fn delta_item_id(
        &self,
        streaming_ids: &mut HashMap<String, String>,
        model_id: Option<String>,
    ) -> String {
        let key = model_id.unwrap_or_default();
        streaming_ids
            .entry(key)
            .or_insert_with(|| self.services.events.item_id())
            .clone()
    }

    /// A finished output item: show it, and note it if it is a tool call.
    fn item_done(
        &mut self,
        item: &ResponseItem,
        item_id: Option<String>,
        calls: &mut Vec<ToolCall>,
    ) {
        let item_id = || {
            item_id
                .clone()
                .unwrap_or_else(|| self.services.events.item_id())
        };
        match item {
            ResponseItem::Message { role, content, .. } if role == "assistant" => {
                let text = content
                    .iter()
                    .filter_map(|part| match part {
                        ContentItem::OutputText { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect::<String>();
                self.last_agent_message = Some(text.clone());
                let id = item_id();
                self.send(EventMsg::ItemCompleted {
                    item: Item {
                        id,
                        details: ItemDetails::AgentMessage { text },
                    },
                });
            }
            ResponseItem::Reasoning {
                summary, content, ..
            } => {
                let mut text = summary
                    .iter()
                    .map(|part| match part {
                        duet_model::ReasoningSummaryPart::SummaryText { text } => text.as_str(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n\n");
                // No summary: the raw reasoning text, which the Chat and
                // Anthropic wires (and local models) give instead.
                if text.is_empty() {
                    text = content
                        .iter()
                        .flatten()
                        .filter(|part| part["type"] == "reasoning_text")
                        .filter_map(|part| part["text"].as_str())
                        .collect::<Vec<_>>()
                        .join("\n\n");
                }
                if !text.is_empty() {
                    let id = item_id();
                    self.send(EventMsg::ItemCompleted {
                        item: Item {
                            id,
                            details: ItemDetails::Reasoning { text },
                        },
                    });
                }
            }
            ResponseItem::FunctionCall {
                call_id,
                name,
                arguments,
                ..
            } => {
                calls.push(ToolCall::Function {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                });
            }
            ResponseItem::CustomToolCall {
                call_id,
                name,
                input,
                ..
            } => {
                calls.push(ToolCall::Custom {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                });
            }
            _ => {}
        }
    }
}

/// The id the model gave an item whose text streams (messages and
/// reasoning). A message without one (the Chat and Anthropic wires stream
/// one message at a time) goes with the deltas that had no id either.
fn streamed_item_id(item: &ResponseItem) -> Option<String> {
    match item {
        ResponseItem::Message { id, .. } => Some(id.clone().unwrap_or_default()),
        ResponseItem::Reasoning { id, .. } if !id.is_empty() => Some(id.clone()),
        _ => None,
    }
}
