//! The `<permissions instructions>` developer text: the sandbox and the
//! approval policy in words, and what the model should do when a command is
//! blocked. The same facts appear, terser, in the environment context.
//!
//! This describes the policy; enforcing it is the sandbox's and the
//! approval flow's job.

use super::environment::{network_allowed, writable_roots};
use crate::config::Config;
use duet_protocol::{ApprovalPolicy, SandboxMode};

pub(crate) fn permissions_instructions(config: &Config) -> String {
    let mut text = String::from("<permissions instructions>\n");
    text.push_str(&sandbox_paragraph(config));
    text.push_str("\n\n");
    text.push_str(approval_paragraph(
        config.approval_policy,
        config.sandbox_mode,
    ));
    text.push_str("\n</permissions instructions>");
    text
}

fn sandbox_paragraph(config: &Config) -> String {
    let network = if network_allowed(config) {
        "Network access is allowed."
    } else {
        "Network access is blocked: downloads, package installs and API calls will fail."
    };
    match config.sandbox_mode {
        SandboxMode::ReadOnly => format!(
            "The sandbox is `read-only`: commands can read any file but cannot create, change or delete files anywhere. {network}"
        ),
        SandboxMode::WorkspaceWrite => {
            let roots = writable_roots(config)
                .iter()
                .map(|root| format!("`{root}`"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "The sandbox is `workspace-write`: commands can read any file and can write only inside {roots}. \
The `.git`, `.duet` and `.agents` directories directly inside those roots stay read-only. {network}"
            )
        }
        SandboxMode::DangerFullAccess => "There is no sandbox (`danger-full-access`): commands run with the user's full permissions, \
can change any file the user can and can reach the network. Nothing stops a mistake, so be careful with anything destructive or irreversible."
            .to_string(),
    }
}

fn approval_paragraph(policy: ApprovalPolicy, sandbox: SandboxMode) -> &'static str {
    match (policy, sandbox) {
        (ApprovalPolicy::Never, SandboxMode::DangerFullAccess) => {
            "The approval policy is `never`: no one reviews your commands before they run. \
Do not set `sandbox_permissions`; it has no effect here."
        }
        (ApprovalPolicy::Never, _) => {
            "The approval policy is `never`: no one can approve anything during this run. \
Do not set `sandbox_permissions` to `require_escalated`; such requests are rejected. \
When the sandbox blocks a command, do not retry it unchanged: find a way to do the work within these limits. \
If the task cannot be finished without more access, do what you can, then say in your final answer what was blocked and which command the user could run themselves."
        }
        (ApprovalPolicy::OnRequest, _) => {
            "The approval policy is `on-request`: commands run in the sandbox without asking. \
When a command really needs more than the sandbox allows (writing outside the writable directories, or the network), \
run it with `sandbox_permissions` set to `require_escalated` and a one-sentence `justification`; the user will approve or deny it. \
Do not escalate commands that can work inside the sandbox. If the user denies a request, do not ask again for the same thing: adapt, or explain what is missing."
        }
        (ApprovalPolicy::OnFailure, _) => {
            "The approval policy is `on-failure`: commands run in the sandbox first, and when one fails because of the sandbox the user is asked whether to run it again without it. \
Do not set `sandbox_permissions` yourself. If the user declines, do not retry the command: adapt, or explain what is missing."
        }
        (ApprovalPolicy::Untrusted, _) => {
            "The approval policy is `untrusted`: only commands known to be safe and read-only run without asking; every other command waits for the user's approval. \
Prefer read-only commands while exploring, and group changes so the user is asked less often. \
If the user declines a command, do not retry it: adapt, or explain what is missing."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::path::PathBuf;

    fn config(sandbox_mode: SandboxMode, approval_policy: ApprovalPolicy) -> Config {
        let mut config = Config::defaults(PathBuf::from("/h/.duet"), PathBuf::from("/repo"));
        config.sandbox_mode = sandbox_mode;
        config.approval_policy = approval_policy;
        config
    }

    #[test]
    fn read_only_never_is_the_exec_default() {
        assert_eq!(
            permissions_instructions(&config(SandboxMode::ReadOnly, ApprovalPolicy::Never)),
            "<permissions instructions>
The sandbox is `read-only`: commands can read any file but cannot create, change or delete files anywhere. \
Network access is blocked: downloads, package installs and API calls will fail.

The approval policy is `never`: no one can approve anything during this run. \
Do not set `sandbox_permissions` to `require_escalated`; such requests are rejected. \
When the sandbox blocks a command, do not retry it unchanged: find a way to do the work within these limits. \
If the task cannot be finished without more access, do what you can, then say in your final answer what was blocked and which command the user could run themselves.
</permissions instructions>"
        );
    }

    #[test]
    fn workspace_write_names_its_roots_and_network() {
        let mut config = config(SandboxMode::WorkspaceWrite, ApprovalPolicy::OnRequest);
        config.sandbox_workspace_write.network_access = true;
        config.sandbox_workspace_write.exclude_tmpdir_env_var = true;
        let text = permissions_instructions(&config);
        let sandbox = text.lines().nth(1).unwrap();
        assert_eq!(
            sandbox,
            "The sandbox is `workspace-write`: commands can read any file and can write only inside `/repo`, `/tmp`. \
The `.git`, `.duet` and `.agents` directories directly inside those roots stay read-only. Network access is allowed."
        );
        assert!(
            text.lines()
                .nth(3)
                .unwrap()
                .starts_with("The approval policy is `on-request`:")
        );
    }

    #[test]
    fn full_access_says_there_is_no_sandbox() {
        let text = permissions_instructions(&config(
            SandboxMode::DangerFullAccess,
            ApprovalPolicy::Never,
        ));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "There is no sandbox (`danger-full-access`): commands run with the user's full permissions, \
can change any file the user can and can reach the network. Nothing stops a mistake, so be careful with anything destructive or irreversible.",
                "",
                "The approval policy is `never`: no one reviews your commands before they run. Do not set `sandbox_permissions`; it has no effect here.",
                "</permissions instructions>",
            ]
        );
    }
}
