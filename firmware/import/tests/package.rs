//! The package file end to end: an authoring folder is loaded, packed, verified, released with
//! its code and opened; and every kind of tampering is refused.

use std::path::Path;

use ruji_import::native;
use ruji_package::release;
use ruji_package::safezip;
use ruji_package::{self as package, IssuerKey, PackageFileError};

fn contoh() -> native::Loaded {
    let l = native::load(Path::new("tests/fixtures/native/contoh"));
    assert!(l.issues.is_empty(), "{:?}", l.issues);
    l
}

fn packed() -> (Vec<u8>, IssuerKey, native::Loaded) {
    let l = contoh();
    let key = IssuerKey::generate();
    let bytes = package::pack(&l.package, &l.assets, &key, 1_764_000_000).unwrap();
    (bytes, key, l)
}

#[test]
fn authoring_folder_round_trip() {
    let (bytes, key, l) = packed();
    let sealed = package::verify(&bytes, &[key.public()]).unwrap();
    assert_eq!(sealed.manifest.tests.len(), 2);
    assert_eq!(sealed.participants.len(), 4);
    // Nothing of the item content is readable in the file.
    let hay = String::from_utf8_lossy(&bytes);
    for secret in ["Merkurius", "Sukamaju", "jernih", "BIN01"] {
        assert!(!hay.contains(secret), "{secret} leaks");
    }
    // Before release: tests sealed, package valid, no items.
    let before = sealed.package(&[]).unwrap();
    assert!(before.tests.iter().all(|t| t.sealed && t.items.is_empty()));
    before.validate().unwrap();
    // Session S1 releases BIN only.
    let code = package::release_code(&bytes, &key, "S1").unwrap();
    let keys = sealed
        .session_keys("S1", &release::decode(&code).unwrap())
        .unwrap();
    assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["BIN"]);
    let (contents, assets) = sealed.open_tests(&keys).unwrap();
    let after = sealed.package(&contents).unwrap();
    after.validate().unwrap();
    let bin = after.test("BIN").unwrap();
    assert!(!bin.sealed && bin.items.len() == 6 && bin.practice_items == ["LAT1"]);
    assert!(after.test("IPA").unwrap().sealed);
    // The picture of the stimulus comes back, byte for byte.
    assert_eq!(assets.len(), 1);
    let (name, b) = assets.iter().next().unwrap();
    assert_eq!(b, l.assets.get(name).unwrap());
    assert!(after
        .stimulus("teks-peta")
        .unwrap()
        .html
        .contains(&format!("/a/{name}")));
    // Session S2 releases both.
    let code2 = package::release_code(&bytes, &key, "S2").unwrap();
    let keys2 = sealed
        .session_keys("S2", &release::decode(&code2).unwrap())
        .unwrap();
    let (contents2, _) = sealed.open_tests(&keys2).unwrap();
    let all = sealed.package(&contents2).unwrap();
    all.validate().unwrap();
    assert_eq!(all.items.len(), l.package.items.len());
    assert!(all.tests.iter().all(|t| !t.sealed));
}

#[test]
fn a_changed_byte_anywhere_is_refused() {
    let (bytes, key, _) = packed();
    let files = safezip::read(&bytes, &Default::default()).unwrap();
    for name in files.files.keys() {
        let mut m = files.clone();
        let f = m.files.get_mut(name).unwrap();
        let mid = f.len() / 2;
        f[mid] ^= 0x01;
        let z = safezip::write(m.files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
        let e = package::verify(&z, &[key.public()]).unwrap_err();
        assert!(
            matches!(
                e,
                PackageFileError::Tampered(_) | PackageFileError::Damaged(_)
            ),
            "{name}: {e}"
        );
    }
    // A byte changed in the zip's own bytes (not through the zip writer).
    let mut raw = bytes.clone();
    let at = raw.len() / 3;
    raw[at] ^= 0x40;
    assert!(package::verify(&raw, &[key.public()]).is_err());
}

#[test]
fn an_added_or_removed_entry_is_refused() {
    let (bytes, key, _) = packed();
    let files = safezip::read(&bytes, &Default::default()).unwrap();
    let mut extra = files.clone();
    extra.files.insert("tests/EXTRA.sealed".into(), vec![0; 64]);
    let z = safezip::write(extra.files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    assert!(matches!(
        package::verify(&z, &[key.public()]),
        Err(PackageFileError::Tampered(_))
    ));
    let mut less = files.clone();
    less.files.remove("keys/S1.sealed");
    let z = safezip::write(less.files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    assert!(matches!(
        package::verify(&z, &[key.public()]),
        Err(PackageFileError::Damaged(_))
    ));
}

#[test]
fn wrong_issuer_and_resigned_packages_are_refused() {
    let (bytes, key, l) = packed();
    let stranger = IssuerKey::generate();
    let e = package::verify(&bytes, &[stranger.public()]).unwrap_err();
    assert!(matches!(e, PackageFileError::Untrusted { .. }));
    assert!(e.to_string().contains("SMP Negeri 1 Contoh"));
    // The same content packed by a stranger: valid signature, untrusted key.
    let forged = package::pack(&l.package, &l.assets, &stranger, 0).unwrap();
    assert!(matches!(
        package::verify(&forged, &[key.public()]),
        Err(PackageFileError::Untrusted { .. })
    ));
}

#[test]
fn wrong_release_codes_are_refused() {
    let (bytes, key, _) = packed();
    let sealed = package::verify(&bytes, &[key.public()]).unwrap();
    let code_s1 = package::release_code(&bytes, &key, "S1").unwrap();
    // The code of another session does not open this one.
    let s1 = release::decode(&code_s1).unwrap();
    assert!(matches!(
        sealed.session_keys("S2", &s1),
        Err(PackageFileError::WrongCode(_))
    ));
    // A code of the same session from another packing does not open it either.
    let l = contoh();
    let other = package::pack(&l.package, &l.assets, &key, 1).unwrap();
    let other_code = package::release_code(&other, &key, "S1").unwrap();
    assert_ne!(other_code, code_s1);
    assert!(matches!(
        sealed.session_keys("S1", &release::decode(&other_code).unwrap()),
        Err(PackageFileError::WrongCode(_))
    ));
    // A typo is caught before any decryption.
    let mut typo: Vec<char> = code_s1.chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    assert!(release::decode(&typo.into_iter().collect::<String>()).is_err());
    assert!(matches!(
        sealed.session_keys("S9", &s1),
        Err(PackageFileError::NoSession(_))
    ));
}

#[test]
fn truncated_bombs_and_traversal_are_refused() {
    let (bytes, key, _) = packed();
    for cut in [10, bytes.len() / 2, bytes.len() - 1] {
        let e = package::verify(&bytes[..cut], &[key.public()]).unwrap_err();
        assert!(matches!(e, PackageFileError::Zip(_)), "{cut}: {e}");
        assert!(e.to_string().contains("cut short"), "{e}");
    }
    let zeros = vec![0u8; 100 << 20];
    let bomb = safezip::write([("manifest.json", &b"{}"[..]), ("bomb.json", &zeros[..])]);
    assert!(bomb.len() < (1 << 20));
    assert!(matches!(
        package::verify(&bomb, &[key.public()]),
        Err(PackageFileError::Zip(safezip::ZipError::TooLarge(_)))
    ));
    let files = safezip::read(&bytes, &Default::default()).unwrap();
    let mut evil = files.clone();
    evil.files
        .insert("../../etc/cron.d/x".into(), b"* * * * * root sh".to_vec());
    let z = safezip::write(evil.files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    assert!(matches!(
        package::verify(&z, &[key.public()]),
        Err(PackageFileError::Zip(safezip::ZipError::UnsafeName(_)))
    ));
}
