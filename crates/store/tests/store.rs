//! Integration tests of the session store, each on a real SQLite file in a
//! temporary directory.

mod store {
    pub mod concurrency;
    pub mod items;
    pub mod ledger;
    pub mod migration;
    pub mod open;
    pub mod processes;
    pub mod queries;
    pub mod support;
    pub mod threads;
}
