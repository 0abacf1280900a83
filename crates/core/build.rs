//! The model catalogue, `data/models.toml`, embedded as JSON: `serde_json`
//! reads it at run time in a fraction of the 0.34 ms the TOML parser took,
//! which every session paid. The TOML stays the one file to edit.

#![allow(clippy::print_stdout)] // cargo reads build instructions from stdout

fn main() {
    println!("cargo::rerun-if-changed=data/models.toml");
    let text = std::fs::read_to_string("data/models.toml").expect("read data/models.toml");
    let value: toml::Value =
        toml::from_str(&text).unwrap_or_else(|error| panic!("data/models.toml: {error}"));
    let json = serde_json::to_string(&value).expect("TOML values are JSON values");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("models.json"), json).expect("write models.json");
}
