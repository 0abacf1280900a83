//! The duet session: config, instructions, the turn loop and the tools.
//!
//! Front ends start a session with [`spawn_session`] and talk to it only
//! through the returned [`SessionHandle`]: they submit `Op`s and receive
//! `Event`s (see `duet-protocol`). Besides that handle, only configuration
//! loading is public, because front ends must resolve flags into a [`Config`]
//! before a session exists.

mod approval;
mod compact;
pub mod config;
mod context;
pub mod diagnose;
mod git_info;
mod helper_bin;
mod instructions;
mod process;
mod recorder;
mod rules;
mod session;
pub mod sessions;
mod stored_history;
mod thread_lock;
mod tools;
mod turn;
mod user_shell;

pub use config::Config;
pub use session::{
    ResumeTarget, SessionError, SessionHandle, SessionIo, SessionOptions, shutdown, spawn_session,
};
