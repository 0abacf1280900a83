//! The duet session: config, instructions, the turn loop and the tools.
//!
//! Front ends start a session with [`spawn_session`] and talk to it only
//! through the returned [`SessionHandle`]: they submit `Op`s and receive
//! `Event`s (see `duet-protocol`). Besides that handle, only configuration
//! loading is public, because front ends must resolve flags into a [`Config`]
//! before a session exists.

mod approval;
pub mod auth;
pub mod catalogue;
mod compact;
pub mod config;
mod context;
pub mod diagnose;
mod git_info;
mod helper_bin;
mod instructions;
pub mod mcp;
pub mod models;
mod process;
mod recorder;
mod rules;
mod search_text;
mod services;
mod session;
pub mod sessions;
mod stored_history;
mod thread_lock;
mod tools;
mod turn;

pub use config::Config;
pub use session::{
    ResumeTarget, SessionError, SessionHandle, SessionIo, SessionOptions, shutdown, spawn_session,
};

/// Every `-i FILE` of a front end checked to be an existing file and made
/// absolute, so a later `-C` cannot change what it refers to.
pub fn image_paths(images: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, String> {
    images
        .iter()
        .map(|image| {
            if !image.is_file() {
                return Err(format!(
                    "image file `{}` does not exist or is not a file: check the -i path",
                    image.display()
                ));
            }
            std::path::absolute(image).map_err(|error| {
                format!(
                    "cannot resolve the image path `{}`: {error}",
                    image.display()
                )
            })
        })
        .collect()
}
