//! `duet login --with-api-key`, `duet login status` and `duet logout`:
//! API keys saved in `$DUET_HOME/auth.json` (`duet_core::auth`), for
//! providers whose key is not in the environment. The key is read from
//! stdin, never from the command line (where `ps` and shell history
//! would see it). There is no sign-in flow: a ChatGPT account is OpenAI's
//! own service.

use crate::sessions::report;
use crate::settings::{FrontEnd, SessionArgs, resolve};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use duet_core::auth::{self, KeySource};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

/// `duet login [--provider ID] --with-api-key` or `duet login status`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct LoginCli {
    #[command(subcommand)]
    pub command: Option<LoginCommand>,
    /// The provider the key is for (default: the configured
    /// `model_provider`).
    #[arg(long = "provider", value_name = "ID")]
    pub provider: Option<String>,
    /// Read the API key from stdin and save it (`printf %s "$KEY" | duet
    /// login --with-api-key`).
    #[arg(long = "with-api-key")]
    pub with_api_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum LoginCommand {
    /// Which key the configured provider uses and where it comes from, and
    /// which providers have a saved key (keys shown masked).
    Status,
}

/// `duet logout [--provider ID]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct LogoutCli {
    /// Forget only this provider's saved key (default: every saved key).
    #[arg(long = "provider", value_name = "ID")]
    pub provider: Option<String>,
}

pub fn run_login(cli: LoginCli) -> ExitCode {
    report(login(cli))
}

pub fn run_logout(cli: LogoutCli) -> ExitCode {
    report(logout(cli))
}

fn duet_home() -> anyhow::Result<PathBuf> {
    Ok(duet_core::config::duet_home(&|name| {
        std::env::var(name).ok()
    })?)
}

fn login(cli: LoginCli) -> anyhow::Result<()> {
    if cli.command == Some(LoginCommand::Status) {
        return status();
    }
    if !cli.with_api_key {
        bail!(
            "duet has no sign-in flow: save an API key with `printf %s \"$KEY\" | duet login --with-api-key` (the key on stdin), or set the provider's key variable"
        );
    }
    let provider = match cli.provider {
        Some(id) => id,
        None => configured()?.model_provider.id,
    };
    if provider.is_empty()
        || !provider
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!(
            "`{provider}` is not a provider id: use the name of a `[model_providers.ID]` table or a built-in one such as `openai`"
        );
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!(
            "the key is read from stdin, never from the command line: `printf %s \"$KEY\" | duet login --provider {provider} --with-api-key`"
        );
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .context("cannot read the key from stdin")?;
    let key = text.trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        bail!("stdin held no key (or more than one word): pipe exactly the key");
    }
    let home = duet_home()?;
    auth::save_key(&home, &provider, key).map_err(anyhow::Error::msg)?;
    println!(
        "saved a key for provider `{provider}` ({}) in `{}`; a key in the environment still wins",
        auth::masked(key),
        home.join(auth::AUTH_FILE).display()
    );
    Ok(())
}

/// The configuration as `duet exec` would load it here.
fn configured() -> anyhow::Result<duet_core::Config> {
    Ok(resolve(&SessionArgs::default(), FrontEnd::Tool)?.config)
}

fn status() -> anyhow::Result<()> {
    let config = configured()?;
    let env = |name: &str| std::env::var(name).ok();
    let id = &config.model_provider.id;
    match auth::resolve_key(&config, &env) {
        Ok(resolved) => {
            let key = resolved
                .key
                .as_deref()
                .map(auth::masked)
                .unwrap_or_default();
            match resolved.source {
                KeySource::Env(var) => {
                    println!("provider `{id}`: key {key} from the environment variable `{var}`")
                }
                KeySource::File(path) => {
                    println!("provider `{id}`: key {key} from `{}`", path.display())
                }
                KeySource::NotNeeded => println!("provider `{id}`: needs no key"),
            }
        }
        Err(message) => println!("provider `{id}`: no key: {message}"),
    }
    let saved = auth::stored_keys(&config.duet_home).map_err(anyhow::Error::msg)?;
    if saved.is_empty() {
        println!("no key saved with `duet login`");
    }
    for (provider, key) in saved {
        println!("saved: `{provider}` {}", auth::masked(&key));
    }
    Ok(())
}

fn logout(cli: LogoutCli) -> anyhow::Result<()> {
    let removed =
        auth::remove_keys(&duet_home()?, cli.provider.as_deref()).map_err(anyhow::Error::msg)?;
    match (removed.is_empty(), cli.provider) {
        (true, Some(id)) => println!("no saved key for provider `{id}`"),
        (true, None) => println!("no saved key"),
        (false, _) => println!("forgot the saved key of {}", removed.join(", ")),
    }
    Ok(())
}
