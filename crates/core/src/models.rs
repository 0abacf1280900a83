//! The models of a provider, as `duet models` and the TUI's `/model`
//! picker list them: what the server serves (`GET {base_url}/models`)
//! merged with the catalogue, with the context window from the config,
//! the catalogue or, for a server on this machine, the server itself.

use crate::catalogue::{self, ModelInfo};
use crate::config::Config;
use duet_model::ModelClient;
use duet_protocol::{ModelEntry, ModelList};
use std::time::Duration;

/// How long the server may take to list its models.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a local server may take to report one model's window.
const DETECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Local models whose window is asked for, at most (one request each).
const MAX_DETECTED: usize = 32;

/// The provider's models. The server's list fails softly: the catalogue's
/// models of the provider are listed instead, with a warning saying why.
pub async fn list_models(
    config: &Config,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> ModelList {
    let provider = &config.model_provider;
    let mut warnings = Vec::new();
    let key = match crate::auth::resolve_key(config, env) {
        Ok(resolved) => resolved.key,
        Err(message) => {
            warnings.push(format!("not asking the server: {message}"));
            None
        }
    };
    let served = if warnings.is_empty() {
        match ModelClient::new_with_env(provider.clone(), key, env) {
            Ok(client) => match client.list_models(LIST_TIMEOUT).await {
                Ok(served) => Some((client, served)),
                Err(error) => {
                    warnings.push(format!(
                        "the server did not list its models ({error}); showing duet's catalogue"
                    ));
                    None
                }
            },
            Err(error) => {
                warnings.push(error.to_string());
                None
            }
        }
    } else {
        None
    };
    let mut models = Vec::new();
    if let Some((client, served)) = &served {
        let local = provider.is_local();
        for (index, model) in served.iter().enumerate() {
            let mut entry = entry(&model.id, catalogue::lookup(&model.id), true);
            if let Some(window) = model.context_window {
                entry.context_window = Some(window);
                entry.context_window_from = Some("server".to_string());
            } else if local
                && entry.context_window.is_none()
                && index < MAX_DETECTED
                && let Some((window, server)) = client
                    .detect_context_window(&model.id, DETECT_TIMEOUT)
                    .await
            {
                entry.context_window = Some(window);
                entry.context_window_from = Some(server.to_string());
            }
            models.push(entry);
        }
    }
    // The catalogue's models of this provider the server did not list (or
    // all of them, when it listed nothing).
    for info in catalogue::models() {
        let listed = models
            .iter()
            .any(|entry| catalogue::lookup(&entry.id).is_some_and(|found| found.slug == info.slug));
        if info.provider == provider.id && !listed {
            models.push(entry(&info.slug, Some(info), false));
        }
    }
    // The model in use, with the config's window, first.
    let current = config.model.clone();
    let position = models.iter().position(|entry| entry.id == current);
    let mut current_entry = match position {
        Some(position) => models.remove(position),
        None => entry(&current, catalogue::lookup(&current), false),
    };
    if let Some(window) = config.model_context_window {
        current_entry.context_window = Some(window);
        current_entry.context_window_from = Some("config".to_string());
    }
    if let Some(max) = config.model_max_output_tokens {
        current_entry.max_output_tokens = Some(max);
    }
    models.insert(0, current_entry);
    ModelList {
        provider: provider.id.clone(),
        base_url: provider.base_url.clone(),
        current,
        models,
        listed: served.is_some(),
        warnings,
    }
}

fn entry(id: &str, info: Option<&ModelInfo>, served: bool) -> ModelEntry {
    ModelEntry {
        id: id.to_string(),
        served,
        in_catalogue: info.is_some(),
        context_window: info.and_then(|info| info.context_window),
        context_window_from: info
            .and_then(|info| info.context_window)
            .map(|_| "catalogue".to_string()),
        max_output_tokens: info.and_then(|info| info.max_output_tokens),
        reasoning_efforts: info
            .map(|info| info.reasoning_efforts.clone())
            .unwrap_or_default(),
        images: info.map(|info| info.images),
        price: info.and_then(|info| info.price),
    }
}
