//! A package import and a session's release through the room, on a real redb file and a real
//! data directory: each lands in exactly one commit, and a card that fails in the middle leaves
//! nothing behind (no record, no event, no orphan package file).

use std::path::Path;
use std::sync::atomic::Ordering;

use ruji_import::native;
use ruji_package::{self as package, IssuerKey};
use ruji_room::{Actor, PackageErrorKind, Room, RoomError, Settings};
use ruji_store::testing::FailingBackend;
use ruji_store::{OpenOptions, Store};

fn contoh(key: &IssuerKey) -> Vec<u8> {
    let l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    assert!(l.issues.is_empty(), "{:?}", l.issues);
    package::pack(&l.package, &l.assets, key, 1_764_000_000).unwrap()
}

fn package_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("packages"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The room on the data directory `dir`, its store on a card whose writes can be made to fail.
async fn open_room(
    dir: &Path,
    key: &IssuerKey,
) -> (Room, Store, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let (backend, fail) = FailingBackend::open(&dir.join("ruji.redb")).unwrap();
    let store = Store::open_backend(backend, OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            data_dir: Some(dir.to_path_buf()),
            trusted_issuers: vec![key.public()],
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    (room, store, fail)
}

// After a failed commit redb must be reopened (as a restart of the board does): each failure
// below is followed by a new room on the same files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_release_each_one_commit_and_nothing_left_when_the_card_fails() {
    let dir = tempfile::tempdir().unwrap();
    let key = IssuerKey::generate();
    let bytes = contoh(&key);
    let last_event = {
        let (room, _, _) = open_room(dir.path(), &key).await;
        room.install_demo_if_empty(3).await.unwrap();
        room.audit_tail(1).unwrap()[0].seq
    };

    // The card refuses writes during the import: refused as a storage problem, no orphan
    // package file; after a restart the store and the event log are as they were.
    {
        let (room, _, fail) = open_room(dir.path(), &key).await;
        fail.store(true, Ordering::SeqCst);
        let e = room
            .import_package(bytes.clone(), Actor::Proctor)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, RoomError::Storage(_))
                || matches!(&e, RoomError::Package(p) if p.kind == PackageErrorKind::Storage),
            "{e:?}"
        );
        assert_eq!(room.package().id, ruji_core::demo::ID);
        assert_eq!(package_files(dir.path()), 0, "no orphan package file");
    }
    let (room, store, _) = open_room(dir.path(), &key).await;
    assert_eq!(room.package().id, ruji_core::demo::ID);
    assert!(room.package_source().is_none());
    assert_eq!(room.audit_tail(1).unwrap()[0].seq, last_event);

    // With the card working: one commit for the whole import.
    let before = store.stats();
    let id = room
        .import_package(bytes.clone(), Actor::Proctor)
        .await
        .unwrap();
    assert_eq!(id, room.package().id);
    assert_eq!(
        store.stats().commits - before.commits,
        1,
        "import: one commit"
    );
    assert_eq!(room.audit_tail(1).unwrap()[0].action, "package_imported");
    assert_eq!(package_files(dir.path()), 1);
    assert!(room.package().tests.iter().all(|t| t.sealed));
    let source = room.package_source().unwrap();
    let last_event = room.audit_tail(1).unwrap()[0].seq;
    drop((room, store));

    // A release that fails on the card changes nothing; one that works is one commit.
    let code = package::release_code(&bytes, &key, "S1").unwrap();
    {
        let (room, _, fail) = open_room(dir.path(), &key).await;
        fail.store(true, Ordering::SeqCst);
        assert!(room
            .release_with_code("S1", &code, Actor::Proctor)
            .await
            .is_err());
        assert!(room.package().tests.iter().all(|t| t.sealed));
    }
    let (room, store, _) = open_room(dir.path(), &key).await;
    assert_eq!(room.package_source().unwrap(), source);
    assert_eq!(room.audit_tail(1).unwrap()[0].seq, last_event);
    assert!(room.package().tests.iter().all(|t| t.sealed));
    let before = store.stats();
    room.release_with_code("S1", &code, Actor::Proctor)
        .await
        .unwrap();
    assert_eq!(
        store.stats().commits - before.commits,
        1,
        "release: one commit"
    );
    let released = room.package_source().unwrap();
    assert_eq!(released.sessions, ["S1"]);
    assert_eq!(room.audit_tail(1).unwrap()[0].action, "session_released");
    let s1 = room.package().session("S1").unwrap().clone();
    for t in &s1.tests {
        assert!(!room.package().test(t).unwrap().sealed, "{t} released");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_file_the_card_cannot_take_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = IssuerKey::generate();
    let (room, store, _) = open_room(dir.path(), &key).await;
    room.install_demo_if_empty(3).await.unwrap();
    // Where the package file would go, the card has a file: the write fails as on a full card.
    std::fs::write(dir.path().join("packages"), b"not a folder").unwrap();
    let before = (store.stats(), room.audit_tail(1).unwrap()[0].seq);
    let e = room
        .import_package(contoh(&key), Actor::Proctor)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, RoomError::Package(p) if p.kind == PackageErrorKind::Storage),
        "{e:?}"
    );
    assert_eq!(room.package().id, ruji_core::demo::ID);
    assert!(room.package_source().is_none());
    assert_eq!(store.stats().commits, before.0.commits, "nothing committed");
    assert_eq!(room.audit_tail(1).unwrap()[0].seq, before.1);
    assert!(!store.is_broken(), "a refused file is not a broken store");
}

/// Every byte the board keeps under `dir`, zip entries inflated (a package file is a zip).
fn everything_kept(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            if let Ok(zip) = package::safezip::read(&bytes, &Default::default()) {
                for (name, inner) in zip.files {
                    out.push((format!("{}:{name}", p.display()), inner));
                }
            }
            out.push((p.display().to_string(), bytes));
        }
    }
    out
}

#[tokio::test]
async fn no_plain_password_is_kept_on_the_board_after_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let key = IssuerKey::generate();
    let l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    let bytes = package::pack(&l.package, &l.assets, &key, 1_764_000_000).unwrap();
    let (room, _, _) = open_room(dir.path(), &key).await;
    room.import_package(bytes.clone(), Actor::Proctor)
        .await
        .unwrap();
    let s = &l.package.sessions[0].id;
    let code = package::release_code(&bytes, &key, s).unwrap();
    room.release_with_code(s, &code, Actor::Proctor)
        .await
        .unwrap();
    room.open_session(s).await.unwrap();
    // The package's hashes log in with the cards' passwords.
    let p = &l.package.participants[0];
    room.participant_login(&p.username, &p.password, "10.0.0.9")
        .await
        .unwrap();
    drop(room);
    let kept = everything_kept(dir.path());
    assert!(
        kept.iter().any(|(n, _)| n.ends_with(":participants.json")),
        "the package file is kept"
    );
    for p in &l.package.participants {
        assert!(p.password.len() >= 6, "{}", p.username);
        for (name, bytes) in &kept {
            assert!(
                !bytes
                    .windows(p.password.len())
                    .any(|w| w == p.password.as_bytes()),
                "{}'s password is in {name}",
                p.username
            );
        }
    }
}

#[tokio::test]
async fn a_package_with_plain_passwords_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let key = IssuerKey::generate();
    let l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    // A package as an older ruji pack made it: participants.json with the plain passwords,
    // signed (the signature covers whatever the issuer packed).
    let bytes = package::pack_as_older_ruji(&l.package, &l.assets, &key).unwrap();
    let (room, store, _) = open_room(dir.path(), &key).await;
    let before = store.audit_tail(1).unwrap().first().map(|e| e.seq);
    let e = room
        .import_package(bytes, Actor::Proctor)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, RoomError::Package(p) if p.kind == PackageErrorKind::PlainPasswords),
        "{e:?}"
    );
    assert_eq!(store.audit_tail(1).unwrap().first().map(|e| e.seq), before);
    assert_eq!(package_files(dir.path()), 0, "nothing kept");
}
