//! Table tests of `load_config`: a config file and overrides in, the whole
//! resolved `Config` (or the exact error text) out.

use super::*;
use duet_model::WireApi;
use duet_sandbox::{EnvironmentVariablePattern, ShellEnvironmentPolicyInherit};
use pretty_assertions::assert_eq;
use std::collections::BTreeMap;
use std::time::Duration;
use tempfile::TempDir;

/// A fake `$DUET_HOME` and session directory, never the real home.
struct Fixture {
    home: TempDir,
    cwd: TempDir,
    env: BTreeMap<String, String>,
}

impl Fixture {
    fn new(config_toml: Option<&str>) -> Fixture {
        let home = TempDir::new().unwrap();
        let cwd = TempDir::new().unwrap();
        if let Some(text) = config_toml {
            std::fs::write(home.path().join("config.toml"), text).unwrap();
        }
        let mut env = BTreeMap::new();
        env.insert("DUET_HOME".to_string(), home.path().display().to_string());
        Fixture { home, cwd, env }
    }

    fn home(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }

    fn cwd(&self) -> PathBuf {
        self.cwd.path().canonicalize().unwrap()
    }

    fn overrides(&self) -> ConfigOverrides {
        ConfigOverrides {
            cwd: Some(self.cwd.path().to_path_buf()),
            ..ConfigOverrides::default()
        }
    }

    fn defaults(&self) -> Config {
        Config::defaults(self.home(), self.cwd())
    }

    fn load(&self, overrides: ConfigOverrides) -> Result<Settings, String> {
        let env = |name: &str| self.env.get(name).cloned();
        load_config(overrides, &env).map_err(|error| {
            error
                .to_string()
                .replace(&self.home.path().display().to_string(), "<home>")
                .replace(&self.cwd().display().to_string(), "<cwd>")
        })
    }

    fn config(&self, overrides: ConfigOverrides) -> Config {
        let loaded = self.load(overrides).unwrap();
        assert_eq!(other_warnings(&loaded.warnings), Vec::<&str>::new());
        loaded.config
    }

    fn with_c(&self, raw: &[&str]) -> ConfigOverrides {
        let cli_overrides = raw
            .iter()
            .map(|raw| parse_cli_override(raw).unwrap())
            .collect();
        ConfigOverrides {
            cli_overrides,
            ..self.overrides()
        }
    }
}

#[test]
fn no_file_gives_the_exec_defaults() {
    let fixture = Fixture::new(None);
    let config = fixture.config(fixture.overrides());
    let mut expected = fixture.defaults();
    expected.model = "gpt-5.5".to_string();
    expected.approval_policy = ApprovalPolicy::Never;
    expected.sandbox_mode = SandboxMode::ReadOnly;
    assert_eq!(config, expected);
}

#[test]
fn top_level_keys_resolve() {
    let fixture = Fixture::new(Some(
        r#"
apply_patch_tool_type = "function"
model = "o3"
model_reasoning_effort = "high"
model_reasoning_summary = "concise"
model_verbosity = "low"
model_context_window = 200000
model_auto_compact_token_limit = 150000
approval_policy = "on-request"
sandbox_mode = "workspace-write"
project_doc_max_bytes = 1000
project_doc_fallback_filenames = ["CLAUDE.md"]
project_root_markers = [".git", ".hg"]
developer_instructions = "be brief"
include_environment_context = false
include_permissions_instructions = false

[sandbox_workspace_write]
writable_roots = ["/opt/shared", "rel"]
network_access = true
exclude_slash_tmp = true

[shell_environment_policy]
inherit = "core"
exclude = ["AWS_*"]
set = { CI = "1" }

[tools]
update_plan = false
view_image = { enabled = false }

[projects."/some/repo"]
trust_level = "trusted"

[tui]
alternate_screen = "never"
"#,
    ));
    let config = fixture.config(fixture.overrides());
    let mut expected = fixture.defaults();
    expected.model = "o3".to_string();
    expected.model_reasoning_effort = Some(ReasoningEffort::High);
    expected.model_reasoning_summary = Some(ReasoningSummary::Concise);
    expected.model_verbosity = Some("low".to_string());
    expected.model_context_window = Some(200_000);
    expected.model_auto_compact_token_limit = Some(150_000);
    expected.approval_policy = ApprovalPolicy::OnRequest;
    expected.approval_policy_chosen = true;
    expected.tui = toml::toml! { alternate_screen = "never" };
    expected.sandbox_mode = SandboxMode::WorkspaceWrite;
    expected.project_doc_max_bytes = 1000;
    expected.project_doc_fallback_filenames = vec!["CLAUDE.md".to_string()];
    expected.project_root_markers = vec![".git".to_string(), ".hg".to_string()];
    expected.developer_instructions = Some("be brief".to_string());
    expected.projects = [(PathBuf::from("/some/repo"), TrustLevel::Trusted)].into();
    expected.include_environment_context = false;
    expected.include_permissions_instructions = false;
    expected.sandbox_workspace_write = SandboxWorkspaceWrite {
        writable_roots: vec![PathBuf::from("/opt/shared"), fixture.cwd().join("rel")],
        network_access: true,
        exclude_tmpdir_env_var: false,
        exclude_slash_tmp: true,
    };
    expected.shell_environment_policy = ShellEnvironmentPolicy {
        inherit: ShellEnvironmentPolicyInherit::Core,
        exclude: vec![EnvironmentVariablePattern("AWS_*".to_string())],
        set: BTreeMap::from([("CI".to_string(), "1".to_string())]),
        ..ShellEnvironmentPolicy::default()
    };
    expected.tools = ToolsConfig {
        update_plan: false,
        view_image: false,
        apply_patch: Some(ApplyPatchToolType::Function),
    };
    assert_eq!(config, expected);
}

#[test]
fn tools_accept_a_bool_or_an_enabled_table() {
    let fixture = Fixture::new(Some("[tools.update_plan]\nenabled = false\n"));
    let config = fixture.config(fixture.overrides());
    assert_eq!(
        config.tools,
        ToolsConfig {
            update_plan: false,
            view_image: true,
            apply_patch: Some(ApplyPatchToolType::Freeform),
        }
    );
    let config = fixture.config(fixture.with_c(&["tools.update_plan=true"]));
    assert_eq!(
        config.tools,
        ToolsConfig {
            update_plan: true,
            view_image: true,
            apply_patch: Some(ApplyPatchToolType::Freeform),
        }
    );
}

#[test]
fn apply_patch_is_freeform_for_openai_and_a_function_elsewhere() {
    let fixture = Fixture::new(Some(
        "[model_providers.local]\nname = \"local\"\nbase_url = \"http://127.0.0.1:1/v1\"\n",
    ));
    let tool = |overrides: &[&str]| fixture.config(fixture.with_c(overrides)).tools.apply_patch;
    assert_eq!(tool(&[]), Some(ApplyPatchToolType::Freeform));
    assert_eq!(
        tool(&["model_provider=local"]),
        Some(ApplyPatchToolType::Function)
    );
    assert_eq!(
        tool(&["model_provider=local", "apply_patch_tool_type=freeform"]),
        Some(ApplyPatchToolType::Freeform)
    );
    assert_eq!(tool(&["include_apply_patch_tool=false"]), None);
}

const PROFILES: &str = r#"
model = "file-model"
approval_policy = "untrusted"
profile = "fast"

[profiles.fast]
model = "fast-model"
model_reasoning_effort = "low"

[profiles.deep]
model = "deep-model"
sandbox_mode = "workspace-write"
[profiles.deep.sandbox_workspace_write]
network_access = true
"#;

/// (model, effort, approval, sandbox, network) of a resolved config.
type Summary = (
    String,
    Option<ReasoningEffort>,
    ApprovalPolicy,
    SandboxMode,
    bool,
);

fn summary(config: &Config) -> Summary {
    (
        config.model.clone(),
        config.model_reasoning_effort,
        config.approval_policy,
        config.sandbox_mode,
        config.sandbox_workspace_write.network_access,
    )
}

#[test]
fn profiles_and_precedence() {
    let fixture = Fixture::new(Some(PROFILES));
    let check = |overrides: ConfigOverrides, expected: Summary| {
        assert_eq!(summary(&fixture.config(overrides)), expected);
    };
    let effort = Some(ReasoningEffort::Low);
    let (untrusted, read_only) = (ApprovalPolicy::Untrusted, SandboxMode::ReadOnly);
    // The file's `profile` key selects `fast`.
    check(
        fixture.overrides(),
        ("fast-model".into(), effort, untrusted, read_only, false),
    );
    // `--profile` beats the file's choice; nested tables overlay too.
    let deep = ConfigOverrides {
        profile: Some("deep".into()),
        ..fixture.overrides()
    };
    let workspace = SandboxMode::WorkspaceWrite;
    check(
        deep.clone(),
        ("deep-model".into(), None, untrusted, workspace, true),
    );
    // `-c` beats the file and the profile.
    let with_c = fixture.with_c(&["model=c-model", "approval_policy=never"]);
    check(
        with_c.clone(),
        (
            "c-model".into(),
            effort,
            ApprovalPolicy::Never,
            read_only,
            false,
        ),
    );
    // `-c` can pick the profile and edit it.
    let pick = fixture.with_c(&[
        "profile=deep",
        "profiles.deep.sandbox_workspace_write.network_access=false",
    ]);
    check(
        pick,
        ("deep-model".into(), None, untrusted, workspace, false),
    );
    // Explicit flags beat `-c`.
    let flags = ConfigOverrides {
        model: Some("flag-model".into()),
        sandbox_mode: Some(SandboxMode::DangerFullAccess),
        ..with_c
    };
    let danger = SandboxMode::DangerFullAccess;
    check(
        flags.clone(),
        (
            "flag-model".into(),
            effort,
            ApprovalPolicy::Never,
            danger,
            false,
        ),
    );
    // The bypass flag beats everything for sandbox and approval.
    let bypass = ConfigOverrides {
        dangerously_bypass: true,
        approval_policy: Some(ApprovalPolicy::OnRequest),
        sandbox_mode: Some(SandboxMode::ReadOnly),
        ..deep
    };
    check(
        bypass,
        (
            "deep-model".into(),
            None,
            ApprovalPolicy::Never,
            danger,
            true,
        ),
    );
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let fixture = Fixture::new(Some(PROFILES));
    let overrides = ConfigOverrides {
        profile: Some("nope".into()),
        ..fixture.overrides()
    };
    assert_eq!(
        fixture.load(overrides).unwrap_err(),
        "config profile `nope` is not defined; known profiles: `deep`, `fast`; add `[profiles.nope]` to <home>/config.toml or create <home>/nope.config.toml"
    );
    let empty = Fixture::new(None);
    let overrides = ConfigOverrides {
        profile: Some("x".into()),
        ..empty.overrides()
    };
    assert_eq!(
        empty.load(overrides).unwrap_err(),
        "config profile `x` is not defined; known profiles: none; add `[profiles.x]` to <home>/config.toml or create <home>/x.config.toml"
    );
}

/// The reference's current profiles are files, `$CODEX_HOME/NAME.config.toml`
/// layered over config.toml; duet reads `$DUET_HOME/NAME.config.toml` the
/// same way, after a `[profiles.NAME]` table of the same name, and before
/// `-c`.
#[test]
fn a_profile_can_be_a_file_beside_config_toml() {
    let fixture = Fixture::new(Some(
        "model = \"base\"\nsandbox_mode = \"read-only\"\n[profiles.work]\nmodel = \"from-table\"\n\
         approval_policy = \"on-request\"\n",
    ));
    std::fs::write(
        fixture.home().join("work.config.toml"),
        "model = \"from-file\"\nprofile = \"other\"\ncolour = 1\n[sandbox_workspace_write]\nnetwork_access = true\n",
    )
    .unwrap();
    std::fs::write(
        fixture.home().join("solo.config.toml"),
        "model = \"solo\"\n",
    )
    .unwrap();
    let with = |profile: &str, c: &[&str]| ConfigOverrides {
        profile: Some(profile.into()),
        ..fixture.with_c(c)
    };
    let loaded = fixture.load(with("work", &[])).unwrap();
    let mut expected = fixture.defaults();
    expected.model = "from-file".to_string();
    expected.approval_policy = ApprovalPolicy::OnRequest;
    expected.approval_policy_chosen = true;
    expected.sandbox_workspace_write.network_access = true;
    assert_eq!(loaded.config, expected);
    let home = fixture.home().display().to_string();
    assert_eq!(
        other_warnings(&loaded.warnings),
        vec![format!("unknown config key `colour` in {home}/work.config.toml (ignored)").as_str()]
    );
    // `-c` still wins; a file alone is a profile; the file's `profile` key
    // chooses nothing.
    assert_eq!(
        fixture
            .load(with("work", &["model=cli"]))
            .unwrap()
            .config
            .model,
        "cli"
    );
    assert_eq!(
        fixture.load(with("solo", &[])).unwrap().config.model,
        "solo"
    );
    assert_eq!(
        fixture.load(with("nope", &[])).unwrap_err(),
        "config profile `nope` is not defined; known profiles: `solo`, `work`; add `[profiles.nope]` to <home>/config.toml or create <home>/nope.config.toml"
    );
    // A name that is not a plain file name never reads a file.
    std::fs::write(
        fixture.home().join(".hidden.config.toml"),
        "model = \"x\"\n",
    )
    .unwrap();
    assert!(fixture.load(with(".hidden", &[])).is_err());
    assert!(fixture.load(with("../work", &[])).is_err());
}

/// The warnings besides the one for a model the catalogue does not know
/// (these tests use made-up model names).
fn other_warnings(warnings: &[String]) -> Vec<&str> {
    warnings
        .iter()
        .map(String::as_str)
        .filter(|warning| !warning.contains("is not in duet's model catalogue"))
        .collect()
}

#[test]
fn a_model_the_catalogue_does_not_know_warns_unless_its_window_is_set() {
    let fixture = Fixture::new(None);
    let warnings = |raw: &[&str]| fixture.load(fixture.with_c(raw)).unwrap().warnings;
    assert_eq!(
        warnings(&["model=mystery-1"]),
        vec!["model `mystery-1` is not in duet's model catalogue, so its context window is unknown: set `model_context_window` (and `model_max_output_tokens`) in the config; `duet models` lists the models duet knows".to_string()]
    );
    assert_eq!(
        warnings(&["model=mystery-1", "model_context_window=64000"]),
        Vec::<String>::new()
    );
    // Known under another spelling; a local server is asked instead.
    assert_eq!(
        warnings(&["model=claude-sonnet-4-5-20250929"]),
        Vec::<String>::new()
    );
    assert_eq!(
        warnings(&["model=mystery-1", "model_provider=ollama"]),
        Vec::<String>::new()
    );
    let config = fixture.config(fixture.with_c(&["model=claude-sonnet-4.5"]));
    assert_eq!(
        (config.context_window(), config.max_output_tokens()),
        (Some(200_000), Some(64_000))
    );
    let config = fixture.config(fixture.with_c(&[
        "model=claude-sonnet-4.5",
        "model_context_window=1000000",
        "model_max_output_tokens=4096",
    ]));
    assert_eq!(
        (config.context_window(), config.max_output_tokens()),
        (Some(1_000_000), Some(4_096))
    );
}

fn provider_of(fixture: &Fixture, overrides: ConfigOverrides) -> Result<ProviderInfo, String> {
    fixture
        .load(overrides)
        .map(|loaded| loaded.config.model_provider)
}

#[test]
fn builtin_openai_provider_and_its_base_url() {
    let mut fixture = Fixture::new(None);
    assert_eq!(
        provider_of(&fixture, fixture.overrides()),
        Ok(ProviderInfo::openai(None))
    );
    fixture
        .env
        .insert("OPENAI_BASE_URL".into(), "http://env.invalid/v1".into());
    let from_env = ProviderInfo::openai(Some("http://env.invalid/v1".into()));
    assert_eq!(provider_of(&fixture, fixture.overrides()), Ok(from_env));
    // The key beats the environment variable.
    let overrides = fixture.with_c(&["openai_base_url=\"http://key.invalid/v1\""]);
    let from_key = ProviderInfo::openai(Some("http://key.invalid/v1".into()));
    assert_eq!(provider_of(&fixture, overrides), Ok(from_key));
}

#[test]
fn a_user_openai_entry_overrides_fields_of_the_builtin() {
    let fixture = Fixture::new(Some(
        "[model_providers.openai]\nrequest_max_retries = 1\nhttp_headers = { X-Team = \"a\" }\n",
    ));
    let mut expected = ProviderInfo::openai(None);
    expected.request_max_retries = 1;
    expected.http_headers = BTreeMap::from([("X-Team".to_string(), "a".to_string())]);
    assert_eq!(provider_of(&fixture, fixture.overrides()), Ok(expected));
}

#[test]
fn a_user_provider_starts_bare() {
    let fixture = Fixture::new(Some(
        r#"
model_provider = "local"
[model_providers.local]
base_url = "http://127.0.0.1:8080/v1"
[model_providers.azure]
name = "Azure"
base_url = "https://x.openai.azure.com/openai"
env_key = "AZURE_KEY"
env_key_instructions = "get one from the portal"
wire_api = "responses"
query_params = { api-version = "2025-04-01-preview" }
env_http_headers = { X-Org = "ORG_ID" }
request_max_retries = 2
stream_max_retries = 3
stream_idle_timeout_ms = 1000
requires_openai_auth = false
"#,
    ));
    let bare = ProviderInfo {
        id: "local".into(),
        name: "local".into(),
        base_url: "http://127.0.0.1:8080/v1".into(),
        env_key: None,
        env_key_instructions: None,
        wire_api: WireApi::Responses,
        http_headers: BTreeMap::new(),
        env_http_headers: BTreeMap::new(),
        query_params: BTreeMap::new(),
        request_max_retries: 4,
        stream_max_retries: 5,
        stream_idle_timeout: Duration::from_secs(300),
    };
    assert_eq!(provider_of(&fixture, fixture.overrides()), Ok(bare));
    let azure = ProviderInfo {
        id: "azure".into(),
        name: "Azure".into(),
        base_url: "https://x.openai.azure.com/openai".into(),
        env_key: Some("AZURE_KEY".into()),
        env_key_instructions: Some("get one from the portal".into()),
        wire_api: WireApi::Responses,
        http_headers: BTreeMap::new(),
        env_http_headers: BTreeMap::from([("X-Org".into(), "ORG_ID".into())]),
        query_params: BTreeMap::from([("api-version".into(), "2025-04-01-preview".into())]),
        request_max_retries: 2,
        stream_max_retries: 3,
        stream_idle_timeout: Duration::from_millis(1000),
    };
    assert_eq!(
        provider_of(&fixture, fixture.with_c(&["model_provider=azure"])),
        Ok(azure)
    );
}

#[test]
fn built_in_providers_speak_their_wires_and_take_overlays() {
    let fixture = Fixture::new(Some(
        "[model_providers.proxy]\nbase_url = \"http://x/v1\"\nwire_api = \"chat\"\n[model_providers.ollama]\nbase_url = \"http://gpu-box:11434/v1\"\n",
    ));
    let summary = |raw: &[&str]| {
        let provider = provider_of(&fixture, fixture.with_c(raw)).unwrap();
        (
            provider.id,
            provider.base_url,
            provider.env_key,
            provider.wire_api,
        )
    };
    let key = |var: &str| Some(var.to_string());
    assert_eq!(
        [
            summary(&["model_provider=proxy"]),
            summary(&["model_provider=anthropic"]),
            summary(&["model_provider=openrouter"]),
            summary(&["model_provider=ollama"]),
            summary(&["model_provider=lmstudio"]),
        ],
        [
            ("proxy".into(), "http://x/v1".into(), None, WireApi::Chat),
            (
                "anthropic".into(),
                "https://api.anthropic.com/v1".into(),
                key("ANTHROPIC_API_KEY"),
                WireApi::Anthropic
            ),
            (
                "openrouter".into(),
                "https://openrouter.ai/api/v1".into(),
                key("OPENROUTER_API_KEY"),
                WireApi::Chat
            ),
            // The user's table overlays the built-in one.
            (
                "ollama".into(),
                "http://gpu-box:11434/v1".into(),
                None,
                WireApi::Chat
            ),
            (
                "lmstudio".into(),
                "http://localhost:1234/v1".into(),
                None,
                WireApi::Chat
            ),
        ]
    );
}

#[test]
fn oss_picks_the_local_provider_and_its_default_model() {
    let fixture = Fixture::new(Some("model = \"gpt-5.5\"\noss_provider = \"lmstudio\"\n"));
    let picked = |overrides: ConfigOverrides| {
        fixture
            .load(overrides)
            .map(|loaded| (loaded.config.model_provider.id, loaded.config.model))
    };
    assert_eq!(
        picked(ConfigOverrides {
            oss: true,
            ..fixture.overrides()
        }),
        Ok(("lmstudio".to_string(), "gpt-oss:20b".to_string()))
    );
    assert_eq!(
        picked(ConfigOverrides {
            local_provider: Some("ollama".to_string()),
            model: Some("qwen3-coder".to_string()),
            ..fixture.overrides()
        }),
        Ok(("ollama".to_string(), "qwen3-coder".to_string()))
    );
    assert_eq!(
        picked(ConfigOverrides {
            oss: true,
            ..fixture.with_c(&["oss_provider=openai"])
        }),
        Err("`openai` is not a local provider `--oss` can use: pick `ollama` or `lmstudio` (`--local-provider` or `oss_provider`)".to_string())
    );
}

#[test]
fn provider_errors() {
    let fixture = Fixture::new(Some(
        "[model_providers.proxy]\nbase_url = \"http://x\"\nwire_api = \"chat\"\n[model_providers.nourl]\nname = \"n\"\n",
    ));
    let check = |raw: &str, expected: &str| {
        assert_eq!(
            provider_of(&fixture, fixture.with_c(&[raw])),
            Err(expected.to_string())
        );
    };
    check(
        "model_provider=nourl",
        "model provider `nourl` has no `base_url`; set `model_providers.nourl.base_url`",
    );
    check(
        "model_provider=mock",
        "model provider `mock` is not defined; known providers: `openai`, `anthropic`, `openrouter`, `ollama`, `lmstudio`, `nourl`, `proxy`; add `[model_providers.mock]` with a `base_url` to <home>/config.toml",
    );
    // A provider defined only on the command line works.
    let overrides = fixture.with_c(&[
        "model_provider=mock",
        "model_providers.mock.base_url=http://127.0.0.1:1/v1",
    ]);
    let provider = provider_of(&fixture, overrides).unwrap();
    assert_eq!(
        (provider.id.as_str(), provider.base_url.as_str()),
        ("mock", "http://127.0.0.1:1/v1")
    );
}

#[test]
fn bad_files_name_file_line_column_and_key() {
    let check = |text: &str, expected: &str| {
        let fixture = Fixture::new(Some(text));
        assert_eq!(fixture.load(fixture.overrides()).unwrap_err(), expected);
    };
    check(
        "model = \"o3\"\n[sandbox_workspace_write]\nnetwork_access = \"x\"\n",
        "<home>/config.toml:3:18: invalid type: string \"x\", expected a boolean for key `sandbox_workspace_write.network_access`",
    );
    check(
        "sandbox_mode = \"yolo\"\n",
        "<home>/config.toml:1:16: unknown variant `yolo`, expected one of `read-only`, `workspace-write`, `danger-full-access` for key `sandbox_mode`",
    );
    check(
        "[profiles.fast]\nmodel = 5\n",
        "<home>/config.toml:2:9: invalid type: integer `5`, expected a string for key `profiles.fast.model`",
    );
    check(
        "model = \"o3\n",
        "<home>/config.toml:1:12: invalid basic string, expected `\"`",
    );
    check(
        "[tools]\nupdate_plan = \"yes\"\n",
        "<home>/config.toml:2:15: invalid type: string \"yes\", expected a boolean or a table with `enabled` for key `tools.update_plan`",
    );
}

#[test]
fn bad_override_values_name_the_override() {
    let fixture = Fixture::new(None);
    let check = |raw: &str, expected: &str| {
        assert_eq!(fixture.load(fixture.with_c(&[raw])).unwrap_err(), expected);
    };
    check(
        "sandbox_workspace_write.network_access=maybe",
        "invalid `-c` override `sandbox_workspace_write.network_access`: invalid type: string \"maybe\", expected a boolean",
    );
    check(
        "sandbox_workspace_write={ network_access = 1 }",
        "invalid `-c` override `sandbox_workspace_write`: invalid type: integer `1`, expected a boolean for key `sandbox_workspace_write.network_access`",
    );
    check(
        "project_doc_max_bytes=lots",
        "invalid `-c` override `project_doc_max_bytes`: invalid type: string \"lots\", expected usize",
    );
}

/// Keys duet reads but does not act on yet load, and each says so.
#[test]
fn keys_not_acted_on_yet_warn_and_fail_under_strict() {
    let fixture = Fixture::new(Some(
        "notify = [\"notify-send\"]\nhide_agent_reasoning = true\nshow_raw_agent_reasoning = false\n\
         file_opener = \"none\"\n[history]\npersistence = \"none\"\nprune_tool_outputs_after_turns = 3\n[mcp_servers.docs]\n\
         command = \"docs-server\"\n[features]\nunified_exec = true\n\
         [shell_environment_policy]\nexperimental_use_profile = true\n\
         [model_providers.corp]\nname = \"Corp\"\nbase_url = \"http://x\"\nrequires_openai_auth = true\n",
    ));
    let loaded = fixture.load(fixture.overrides()).unwrap();
    assert_eq!(loaded.config.prune_tool_outputs_after_turns, Some(3));
    assert_eq!(
        loaded.warnings,
        [
            "`notify` is not supported yet: no program is run when a turn ends",
            "`history.persistence` is not supported yet: the prompts you type are kept in `$DUET_HOME/history.jsonl`",
            "`features` (the reference's feature flags) are not supported",
            "`hide_agent_reasoning` is not supported yet: reasoning summaries are shown",
            "`show_raw_agent_reasoning` is not supported yet",
            "`file_opener` is not supported yet",
            "`shell_environment_policy.experimental_use_profile` is not supported yet: commands \
             do not run through a login shell profile",
            "`model_providers.corp.requires_openai_auth` is not supported: duet has no login flow \
             and sends the key named by `env_key`",
        ]
        .map(|message| format!("{message} (ignored)"))
    );
    let strict = ConfigOverrides {
        strict_config: true,
        ..fixture.overrides()
    };
    assert!(
        fixture
            .load(strict)
            .unwrap_err()
            .starts_with("`notify` is not supported yet")
    );
    // `false` for the provider's and the policy's flags is what duet does.
    let quiet = Fixture::new(Some(
        "[shell_environment_policy]\nexperimental_use_profile = false\n\
         [model_providers.corp]\nname = \"Corp\"\nbase_url = \"http://x\"\nrequires_openai_auth = false\n",
    ));
    assert_eq!(
        quiet.load(quiet.overrides()).unwrap().warnings,
        Vec::<String>::new()
    );
}

#[test]
fn unknown_keys_warn_or_fail_under_strict() {
    let fixture = Fixture::new(Some(
        "colour = \"red\"\n[sandbox_workspace_write]\nnetwork = true\n[profiles.p]\nmodle = \"x\"\n[tools.view_image]\nenabled = true\nsize = 3\n",
    ));
    let overrides = fixture.with_c(&["model_providers.openai.retries=2"]);
    let loaded = fixture.load(overrides.clone()).unwrap();
    let home = fixture.home().display().to_string();
    assert_eq!(
        loaded.warnings,
        vec![
            format!("unknown config key `colour` in {home}/config.toml (ignored)"),
            format!("unknown config key `profiles.p.modle` in {home}/config.toml (ignored)"),
            format!(
                "unknown config key `sandbox_workspace_write.network` in {home}/config.toml (ignored)"
            ),
            format!("unknown config key `tools.view_image.size` in {home}/config.toml (ignored)"),
            "unknown config key `model_providers.openai.retries` in -c override (ignored)"
                .to_string(),
        ]
    );
    assert_eq!(loaded.config, fixture.defaults());
    let strict = ConfigOverrides {
        strict_config: true,
        ..fixture.with_c(&["zzz=1"])
    };
    assert_eq!(
        fixture.load(strict).unwrap_err(),
        "unknown config key `colour` in <home>/config.toml; unknown config key `profiles.p.modle` in <home>/config.toml; \
unknown config key `sandbox_workspace_write.network` in <home>/config.toml; unknown config key `tools.view_image.size` in <home>/config.toml; \
unknown config key `zzz` in -c override; remove them or run without `--strict-config`"
    );
}

#[test]
fn model_instructions_file_is_read_or_named() {
    let fixture = Fixture::new(Some("model_instructions_file = \"prompt.md\"\n"));
    std::fs::write(fixture.home.path().join("prompt.md"), "be a poet").unwrap();
    let config = fixture.config(fixture.overrides());
    assert_eq!(
        config.base_instructions_override.as_deref(),
        Some("be a poet")
    );
    // From `-c`, a relative path is taken from the cwd.
    let missing = fixture.with_c(&["model_instructions_file=nope.md"]);
    let error = fixture.load(missing).unwrap_err();
    assert_eq!(
        error,
        "cannot read `model_instructions_file` <cwd>/nope.md: No such file or directory (os error 2); fix the path or remove the key"
    );
}

#[test]
fn the_compaction_prompt_is_the_keys_text_or_the_files() {
    let fixture = Fixture::new(Some("compact_prompt = \"Summarise in French.\"\n"));
    assert_eq!(
        fixture
            .config(fixture.overrides())
            .compact_prompt
            .as_deref(),
        Some("Summarise in French.")
    );
    std::fs::write(fixture.home.path().join("compact.md"), "From the file.").unwrap();
    let both = Fixture::new(Some(
        "compact_prompt = \"Summarise in French.\"\nexperimental_compact_prompt_file = \"compact.md\"\n",
    ));
    std::fs::write(both.home.path().join("compact.md"), "From the file.").unwrap();
    assert_eq!(
        both.config(both.overrides()).compact_prompt.as_deref(),
        Some("From the file.")
    );
    let missing = fixture.with_c(&["experimental_compact_prompt_file=nope.md"]);
    assert_eq!(
        fixture.load(missing).unwrap_err(),
        "cannot read `experimental_compact_prompt_file` <cwd>/nope.md: No such file or directory (os error 2); fix the path or remove the key"
    );
    assert_eq!(
        Fixture::new(None)
            .config(Fixture::new(None).overrides())
            .compact_prompt,
        None
    );
}

#[test]
fn cwd_is_canonical_and_must_exist() {
    let fixture = Fixture::new(None);
    std::fs::create_dir(fixture.cwd.path().join("sub")).unwrap();
    let dotted = ConfigOverrides {
        cwd: Some(fixture.cwd.path().join("sub/../sub")),
        ..fixture.overrides()
    };
    assert_eq!(fixture.config(dotted).cwd, fixture.cwd().join("sub"));
    let missing = ConfigOverrides {
        cwd: Some(fixture.cwd().join("gone")),
        ..fixture.overrides()
    };
    assert_eq!(
        fixture.load(missing).unwrap_err(),
        "cannot use <cwd>/gone as the working directory: No such file or directory (os error 2); pass an existing directory with `-C`"
    );
}

#[test]
fn flags_carry_through() {
    let fixture = Fixture::new(None);
    let overrides = ConfigOverrides {
        ephemeral: true,
        additional_writable_roots: vec![PathBuf::from("/data"), PathBuf::from("out")],
        ..fixture.overrides()
    };
    let config = fixture.config(overrides);
    let mut expected = fixture.defaults();
    expected.ephemeral = true;
    expected.additional_writable_roots = vec![PathBuf::from("/data"), fixture.cwd().join("out")];
    assert_eq!(config, expected);
}

#[test]
fn duet_home_comes_from_the_environment() {
    let check = |vars: &[(&str, &str)], expected: Result<&str, &str>| {
        let env = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        };
        let actual = duet_home(&env).map_err(|error| error.to_string());
        assert_eq!(actual, expected.map(PathBuf::from).map_err(str::to_string));
    };
    check(&[("DUET_HOME", "/d"), ("HOME", "/h")], Ok("/d"));
    check(&[("DUET_HOME", ""), ("HOME", "/h")], Ok("/h/.duet"));
    check(&[("HOME", "/h")], Ok("/h/.duet"));
    check(
        &[],
        Err(
            "cannot find the duet home: neither `DUET_HOME` nor `HOME` is set; set `DUET_HOME` to a directory",
        ),
    );
}

#[test]
fn sandbox_backend_comes_from_the_file_and_from_c() {
    let fixture = Fixture::new(Some("sandbox_backend = \"landlock\"\n"));
    let mut expected = fixture.defaults();
    expected.sandbox_backend = BackendPreference::Landlock;
    assert_eq!(fixture.config(fixture.overrides()), expected);
    expected.sandbox_backend = BackendPreference::Bwrap;
    assert_eq!(
        fixture.config(fixture.with_c(&["sandbox_backend=bwrap"])),
        expected
    );
    let bad = Fixture::new(None);
    assert_eq!(
        bad.load(bad.with_c(&["sandbox_backend=seatbelt"]))
            .unwrap_err(),
        "invalid `-c` override `sandbox_backend`: unknown variant `seatbelt`, expected one of \
         `auto`, `bwrap`, `landlock`"
    );
}

#[test]
fn the_sandbox_policy_lists_cwd_then_configured_roots_then_added_dirs() {
    let fixture = Fixture::new(Some(
        "sandbox_mode = \"workspace-write\"\n[sandbox_workspace_write]\nwritable_roots = \
         [\"/data\"]\nnetwork_access = true\nexclude_slash_tmp = true\n",
    ));
    let overrides = ConfigOverrides {
        additional_writable_roots: vec![PathBuf::from("extra")],
        ..fixture.overrides()
    };
    let config = fixture.config(overrides);
    assert_eq!(
        config.sandbox_policy(),
        SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![
                fixture.cwd(),
                PathBuf::from("/data"),
                fixture.cwd().join("extra")
            ],
            network_access: true,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: true,
        }
    );
    let read_only = Fixture::new(None);
    assert_eq!(
        read_only.config(read_only.overrides()).sandbox_policy(),
        SandboxPolicy::ReadOnly
    );
}

/// `[tui]` is the TUI's to interpret, but core layers it like every table
/// (file, profile table, profile file, `-c`), so the TUI reads one answer
/// (issue 17: it re-read config.toml and layered it differently); and core
/// says whether anything chose the approval policy.
#[test]
fn the_tui_table_and_the_chosen_approval_policy_come_from_every_layer() {
    let fixture = Fixture::new(Some(
        "[tui]\nvim = true\nalternate_screen = \"never\"\n[tui.keymap]\nsend = \"enter\"\n",
    ));
    std::fs::write(
        fixture.home().join("work.config.toml"),
        "approval_policy = \"never\"\n[tui]\nshow_reasoning = \"hidden\"\nvim = false\n",
    )
    .unwrap();
    let plain = fixture.load(fixture.overrides()).unwrap().config;
    assert_eq!(
        (plain.tui.clone(), plain.approval_policy_chosen),
        (
            toml::toml! {
                vim = true
                alternate_screen = "never"
                [keymap]
                send = "enter"
            },
            false
        )
    );
    let layered = fixture
        .load(ConfigOverrides {
            profile: Some("work".into()),
            ..fixture.with_c(&["tui.alternate_screen=\"always\""])
        })
        .unwrap()
        .config;
    assert_eq!(
        (layered.tui, layered.approval_policy_chosen),
        (
            toml::toml! {
                vim = false
                alternate_screen = "always"
                show_reasoning = "hidden"
                [keymap]
                send = "enter"
            },
            true
        )
    );
    let flag = ConfigOverrides {
        approval_policy: Some(ApprovalPolicy::OnRequest),
        ..fixture.overrides()
    };
    assert!(fixture.load(flag).unwrap().config.approval_policy_chosen);
}

/// Keys inside `[tui]` are checked like top-level ones (issue 17): the
/// TUI's own pass, the reference's that duet does not act on yet warn as
/// such, anything else is unknown, naming where it came from.
#[test]
fn tui_keys_are_checked() {
    let fixture = Fixture::new(Some(
        "[tui]\nvim = true\nvim_mode_default = true\nanimations = false\ncolour = \"red\"\n\
         [tui.keymap]\nsend = \"enter\"\n",
    ));
    let loaded = fixture
        .load(fixture.with_c(&["tui.show_tooltips=false", "tui.zoom=2"]))
        .unwrap();
    let home = fixture.home().display().to_string();
    assert_eq!(
        loaded.warnings,
        vec![
            format!("unknown config key `tui.colour` in {home}/config.toml (ignored)"),
            "unknown config key `tui.zoom` in -c override (ignored)".to_string(),
            "`tui.animations` is not supported yet (ignored)".to_string(),
            "`tui.show_tooltips` is not supported yet (ignored)".to_string(),
        ]
    );
}

/// duet never reads `~/.codex`, and says so once there is something to
/// import and nothing of duet's own yet (issue 17).
#[test]
fn codex_settings_without_duet_s_own_get_a_note() {
    let mut fixture = Fixture::new(None);
    let codex = fixture.home().join("codex");
    std::fs::create_dir_all(&codex).unwrap();
    fixture
        .env
        .insert("CODEX_HOME".into(), codex.display().to_string());
    assert_eq!(
        fixture.load(fixture.overrides()).unwrap().warnings,
        Vec::<String>::new()
    );
    std::fs::write(codex.join("config.toml"), "model = \"x\"\n").unwrap();
    let home = fixture.home().display().to_string();
    assert_eq!(
        fixture.load(fixture.overrides()).unwrap().warnings,
        vec![format!(
            "duet does not read Codex's settings (`{home}/codex/config.toml`); `duet config import \
             --from codex` copies them into `{home}` (this note stops once `{home}/config.toml` \
             exists)"
        )]
    );
    // Not a config problem: `--strict-config` lets it pass.
    let strict = ConfigOverrides {
        strict_config: true,
        ..fixture.overrides()
    };
    assert!(fixture.load(strict).is_ok());
    std::fs::write(fixture.home().join("config.toml"), "").unwrap();
    assert_eq!(
        fixture.load(fixture.overrides()).unwrap().warnings,
        Vec::<String>::new()
    );
}
