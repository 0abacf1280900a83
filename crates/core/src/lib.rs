//! The duet session: config, instructions, the turn loop and the tools.
//!
//! Front ends start a session with [`spawn_session`] and talk to it only
//! through the returned [`SessionHandle`]: they submit `Op`s and receive
//! `Event`s (see `duet-protocol`). Besides that handle, only configuration
//! loading is public, because front ends must resolve flags into a [`Config`]
//! before a session exists.

pub mod config;
#[allow(dead_code)] // wired into the turn loop by the lead
mod exec;
