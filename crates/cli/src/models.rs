//! `duet models [--json]`: the models of the configured provider (or the
//! one `--oss`/`-c model_provider=…` picks), what its server lists merged
//! with duet's catalogue: context window, output limit, prices.

use crate::settings::{FrontEnd, SessionArgs, resolve};
use duet_protocol::{ModelEntry, ModelList};
use std::process::ExitCode;

/// `duet models`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ModelsCli {
    /// Print the list as JSON.
    #[arg(long = "json")]
    pub json: bool,
    #[command(flatten)]
    pub session: SessionArgs,
}

pub fn run(cli: ModelsCli) -> ExitCode {
    let settings = match resolve(&cli.session, FrontEnd::Tool) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    for warning in &settings.warnings {
        eprintln!("warning: {warning}");
    }
    let runtime = match crate::current_thread_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let list = runtime.block_on(duet_core::models::list_models(&settings.config, &|name| {
        std::env::var(name).ok()
    }));
    if cli.json {
        match serde_json::to_string_pretty(&list) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("error: cannot write the list as JSON: {error}");
                return ExitCode::from(1);
            }
        }
    } else {
        for warning in &list.warnings {
            eprintln!("warning: {warning}");
        }
        print!("{}", table(&list));
    }
    ExitCode::SUCCESS
}

/// The human listing: a header naming the provider, then one row per model.
fn table(list: &ModelList) -> String {
    let header = [
        "MODEL", "CONTEXT", "MAX OUT", "$/M IN", "CACHED", "OUT", "NOTE",
    ];
    let mut rows: Vec<[String; 7]> = vec![header.map(str::to_string)];
    rows.extend(list.models.iter().map(|entry| row(list, entry)));
    format!(
        "{} models at {}\n{}",
        list.provider,
        list.base_url,
        // Numbers right-aligned, words left-aligned.
        crate::table::render(&rows, |column| (1..=5).contains(&column))
    )
}

fn row(list: &ModelList, entry: &ModelEntry) -> [String; 7] {
    let count =
        |tokens: Option<u64>| tokens.map_or_else(|| "?".to_string(), |tokens| tokens.to_string());
    let dollars =
        |price: Option<f64>| price.map_or_else(|| "-".to_string(), |price| format!("{price}"));
    let mut notes = Vec::new();
    if entry.id == list.current {
        notes.push("in use".to_string());
    }
    match entry.context_window_from.as_deref() {
        Some("catalogue") | None => {}
        Some(from) => notes.push(format!("window from {from}")),
    }
    if list.listed && !entry.served {
        notes.push(if entry.in_catalogue {
            "not listed by the server".to_string()
        } else {
            "unknown model".to_string()
        });
    }
    [
        entry.id.clone(),
        count(entry.context_window),
        count(entry.max_output_tokens),
        dollars(entry.price.map(|price| price.input)),
        dollars(entry.price.map(|price| price.cached_input)),
        dollars(entry.price.map(|price| price.output)),
        notes.join(", "),
    ]
}
