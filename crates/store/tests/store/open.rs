//! Opening: migrations from empty, reopening, newer and corrupt files.

use super::support::{TempHome, new_thread, raw};
use duet_store::{SCHEMA_VERSION, Store, StoreError};
use pretty_assertions::assert_eq;
use serde_json::json;

fn schema_objects(path: &std::path::Path) -> Vec<(String, String)> {
    let conn = raw(path);
    let mut statement = conn
        .prepare("SELECT type, name FROM sqlite_master ORDER BY type, name")
        .expect("prepare");
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn pragma_text(path: &std::path::Path, name: &str) -> String {
    raw(path)
        .pragma_query_value(None, name, |row| row.get(0))
        .expect("read pragma")
}

#[test]
fn migrates_from_nothing() {
    let home = TempHome::new();
    assert!(!home.path.parent().expect("has a parent").exists());

    drop(home.open());

    let conn = raw(&home.path);
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!((version, SCHEMA_VERSION), (3, 3));
    assert_eq!(pragma_text(&home.path, "journal_mode"), "wal");
    let expected: Vec<(String, String)> = [
        ("index", "request_hours_hour"),
        ("index", "requests_thread"),
        ("index", "sqlite_autoindex_display_items_1"),
        ("index", "sqlite_autoindex_items_1"),
        ("index", "sqlite_autoindex_threads_1"),
        ("index", "sqlite_autoindex_threads_2"),
        ("index", "sqlite_autoindex_turns_1"),
        ("index", "sqlite_autoindex_turns_2"),
        ("index", "threads_cwd_updated"),
        ("index", "threads_parent"),
        ("index", "threads_updated"),
        ("index", "turns_running"),
        ("table", "display_items"),
        ("table", "items"),
        ("table", "items_fts"),
        ("table", "items_fts_config"),
        ("table", "items_fts_data"),
        ("table", "items_fts_docsize"),
        ("table", "items_fts_idx"),
        ("table", "request_hours"),
        ("table", "requests"),
        ("table", "threads"),
        ("table", "turns"),
        ("trigger", "items_fts_delete"),
        ("trigger", "items_fts_insert"),
    ]
    .into_iter()
    .map(|(kind, name)| (kind.to_string(), name.to_string()))
    .collect();
    assert_eq!(schema_objects(&home.path), expected);
}

#[test]
fn migrates_an_empty_file() {
    let home = TempHome::new();
    std::fs::create_dir_all(home.path.parent().unwrap()).unwrap();
    std::fs::write(&home.path, b"").unwrap();

    let store = home.open();
    store
        .create_thread(&new_thread("t1", 1_000, "/repo"))
        .unwrap();

    assert_eq!(store.thread("t1").unwrap().id, "t1");
}

#[test]
fn reopening_keeps_everything_and_changes_nothing() {
    let home = TempHome::new();
    let items = vec![json!({"type": "message", "role": "user", "content": "hi"})];
    let before = {
        let store = home.open();
        store
            .create_thread(&new_thread("t1", 1_000, "/repo"))
            .unwrap();
        store.append_items("t1", "turn-1", &items).unwrap();
        store.thread("t1").unwrap()
    };
    let bytes_before = std::fs::read(&home.path).unwrap();

    let store = home.open();

    assert_eq!(store.thread("t1").unwrap(), before);
    assert_eq!(store.history("t1").unwrap(), items);
    drop(store);
    // A current schema is only read on open: the file is byte-for-byte the same.
    assert_eq!(std::fs::read(&home.path).unwrap(), bytes_before);
}

#[test]
fn refuses_a_database_from_a_newer_duet() {
    let home = TempHome::new();
    drop(home.open());
    raw(&home.path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();

    let error = Store::open(&home.path)
        .err()
        .expect("a newer schema is refused");

    assert_eq!(
        error.to_string(),
        format!(
            "`{}` was written by a newer duet (schema v4, this build knows up to v3); upgrade duet or set DUET_HOME to another directory",
            home.path.display()
        )
    );
    // The file is left alone.
    let version: i64 = raw(&home.path)
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1);
}

#[test]
fn moves_a_corrupt_file_aside_and_says_where() {
    let home = TempHome::new();
    std::fs::create_dir_all(home.path.parent().unwrap()).unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|index| (index * 7 % 251) as u8).collect();
    std::fs::write(&home.path, &garbage).unwrap();

    let error = Store::open(&home.path)
        .err()
        .expect("a corrupt file is an error");

    let StoreError::Corrupt {
        path,
        backup,
        reason,
    } = &error
    else {
        panic!("expected StoreError::Corrupt, got {error:?}");
    };
    assert_eq!(path, &home.path);
    assert_eq!(reason, "file is not a database");
    let backup_name = backup.file_name().unwrap().to_str().unwrap();
    assert!(
        backup_name.starts_with("sessions.sqlite.corrupt-")
            && backup_name["sessions.sqlite.corrupt-".len()..]
                .parse::<u64>()
                .is_ok(),
        "unexpected backup name {backup_name}"
    );
    assert_eq!(backup.parent(), home.path.parent());
    assert_eq!(
        error.to_string(),
        format!(
            "`{}` is not a readable session database (file is not a database); it was moved aside to `{}` and the next run starts a fresh one",
            home.path.display(),
            backup.display()
        )
    );
    assert_eq!(std::fs::read(backup).unwrap(), garbage);
    assert!(!home.path.exists());

    // The caller decides; the next open starts a fresh database.
    let store = home.open();
    assert_eq!(
        store.last_thread(std::path::Path::new("/repo")).unwrap(),
        None
    );
}

#[test]
fn names_the_file_it_cannot_create() {
    let home = TempHome::new();
    // A regular file where the directory should be.
    std::fs::write(home.dir.path().join("home"), b"").unwrap();

    let error = Store::open(&home.path)
        .err()
        .expect("cannot create the directory");

    assert_eq!(
        error.to_string(),
        format!(
            "could not create `{}` for the session database: File exists (os error 17); check its permissions or set DUET_HOME to another directory",
            home.dir.path().join("home").display()
        )
    );
}

#[test]
fn open_existing_creates_nothing_and_opens_what_is_there() {
    let home = TempHome::new();

    let missing = Store::open_existing(&home.path).expect("a missing database is no error");
    assert!(missing.is_none());
    assert!(!home.path.parent().expect("has a parent").exists());

    home.open()
        .create_thread(&new_thread("t1", 1_000, "/repo"))
        .unwrap();
    let existing = Store::open_existing(&home.path)
        .expect("open")
        .expect("the database exists");
    assert_eq!(existing.thread("t1").unwrap().id, "t1");
}
