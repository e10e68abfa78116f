//! The GIFT importer on fixture files (tests/fixtures/gift): a clean bank with every question
//! type, a file saved with a BOM and CRLF line endings, a file full of mistakes, and a file whose
//! Moodle weights Ruji scores a little differently (warnings only).

use std::path::PathBuf;
use std::sync::Arc;

use ruji_core::package::{Item, ItemBody, Package, Test, TestKind, TestRules};
use ruji_import::sanitize::Ctx;
use ruji_import::Issue;
use ruji_import::{gift, Bank};
use ruji_package::assets::Assets;
use ruji_package::source::{Folder, Source};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gift")
}

/// Parses a fixture the way an import does: files read through a [`Folder`] source. Returns
/// the errors; see [`import_all`] for the warnings too.
fn import(file: &str) -> (Bank, Assets, Vec<Issue>) {
    let (bank, assets, errors, warnings) = import_all(file);
    assert!(warnings.is_empty(), "{warnings:#?}");
    (bank, assets, errors)
}

/// As [`import`]: (bank, assets, errors, warnings).
fn import_all(file: &str) -> (Bank, Assets, Vec<Issue>, Vec<Issue>) {
    let source = Folder::new(fixtures());
    let bytes = source.read(file).expect("fixture exists");
    let text = String::from_utf8(bytes).expect("fixture is UTF-8");
    let ctx = Ctx::new(Arc::new(source));
    let bank = gift::parse(&ctx, file, &text);
    let (assets, errors, warnings) = ctx.finish_with_warnings();
    (bank, assets, errors, warnings)
}

/// Asserts that `issues` are, in order, at `<file>:<line>` and say the part of the message given
/// in `expected`.
fn at_lines(issues: &[Issue], file: &str, expected: &[(usize, &str)]) {
    let got: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| (i.place.as_str(), i.message.as_str()))
        .collect();
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((place, message), (line, want)) in got.into_iter().zip(expected) {
        assert_eq!(place, format!("{file}:{line}"), "{message}");
        assert!(message.contains(want), "{message:?} should say {want:?}");
    }
}

fn item<'a>(bank: &'a Bank, id: &str) -> &'a Item {
    bank.items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no item {id} in {:?}", ids(bank)))
}

fn ids(bank: &Bank) -> Vec<&str> {
    bank.items.iter().map(|i| i.id.as_str()).collect()
}

#[test]
fn gift_clean_bank_imports_every_question_type() {
    let (bank, assets, issues) = import("soal.gift");
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(
        ids(&bank),
        [
            "Gagasan-utama",
            "Pernyataan-benar",
            "Benar-salah",
            "Ibu-kota",
            "Isian",
            "Menjodohkan",
            "Uraian",
            "Hitung",
            "Akar",
            "Simbol-tanda",
            "Peta",
            "soal-13",
        ]
    );
    assert!(bank.items.iter().all(|i| i.points == 1));

    // The long reading text is one stimulus, used by the questions up to the next category.
    assert_eq!(bank.stimuli.len(), 1);
    let st = &bank.stimuli[0];
    assert_eq!(
        (st.id.as_str(), st.title.as_str()),
        ("Teks-Gotong-Royong", "Teks Gotong Royong")
    );
    assert_eq!(st.html.matches("<p>").count(), 6, "{}", st.html);
    assert!(st.html.contains("Desa Sukamaju menjadi contoh"));
    assert!(st
        .html
        .contains("pengumuman balai desa agar dibaca semua orang.</p>"));
    assert!(
        st.html.chars().count() > 1500,
        "{}",
        st.html.chars().count()
    );
    for i in &bank.items {
        let expected =
            ["Gagasan-utama", "Pernyataan-benar", "Benar-salah"].contains(&i.id.as_str());
        assert_eq!(i.stimulus.is_some(), expected, "{}", i.id);
    }

    let q = item(&bank, "Gagasan-utama");
    assert_eq!(
        q.prompt,
        "Bacalah teks berikut. Apa gagasan utama paragraf kedua?"
    );
    let ItemBody::MultipleChoice { options, key } = &q.body else {
        panic!("{q:?}")
    };
    assert_eq!(options.len(), 4);
    assert_eq!(options[0].html, "Warga bergotong royong mengatasi banjir.");
    assert_eq!(key, "A");

    let q = item(&bank, "Pernyataan-benar");
    assert!(
        matches!(&q.body, ItemBody::MultipleResponse { options, key } if options.len() == 3 && key == &["A", "B"])
    );
    assert!(
        matches!(&item(&bank, "Benar-salah").body, ItemBody::MultipleChoice { options, key } if options[0].html == "Benar" && key == "A")
    );
    assert!(
        matches!(&item(&bank, "soal-13").body, ItemBody::MultipleChoice { key, .. } if key == "B")
    );

    let q = item(&bank, "Ibu-kota");
    assert_eq!(q.prompt, "Ibu kota provinsi Jawa Barat adalah _____.");

    assert_eq!(
        item(&bank, "Isian").body,
        ItemBody::ShortAnswer {
            accepted: vec!["Merkurius".into(), "Merkuri".into()],
            case_sensitive: false
        }
    );
    let ItemBody::Matching {
        premises,
        targets,
        key,
    } = &item(&bank, "Menjodohkan").body
    else {
        panic!()
    };
    assert_eq!((premises.len(), targets.len(), key.len()), (4, 4, 4));
    assert_eq!(
        key[0].1, key[1].1,
        "Kucing and Paus share the target Mamalia"
    );
    assert_eq!(
        item(&bank, "Uraian").body,
        ItemBody::Essay { max_chars: 5000 }
    );
    assert!(
        matches!(&item(&bank, "Hitung").body, ItemBody::ShortAnswer { accepted, .. } if accepted == &["36"])
    );
    assert!(
        matches!(&item(&bank, "Akar").body, ItemBody::ShortAnswer { accepted, .. } if accepted == &["3", "-3"])
    );

    // Escaped GIFT characters are plain text.
    let q = item(&bank, "Simbol-tanda");
    assert!(
        q.prompt.contains("2 + 2 = 4, tanda = disebut"),
        "{}",
        q.prompt
    );
    assert!(
        q.prompt.contains("{kurung kurawal} dan ~ gelombang"),
        "{}",
        q.prompt
    );
    let ItemBody::MultipleChoice { options, .. } = &q.body else {
        panic!()
    };
    assert_eq!(options[1].html, "tambah ~ kurang");

    // The picture next to the file became an asset.
    let png = std::fs::read(fixtures().join("gambar/peta.png")).unwrap();
    let name = format!("{}.png", ruji_package::assets::name_hash(&png));
    assert_eq!(assets.len(), 1);
    assert_eq!(assets.get(&name), Some(&png));
    let q = item(&bank, "Peta");
    assert!(
        q.prompt.contains(&format!("src=\"/a/{name}\"")),
        "{}",
        q.prompt
    );
    assert!(!q.prompt.contains("gambar/"), "{}", q.prompt);
}

#[test]
fn gift_clean_bank_is_a_valid_package() {
    let (bank, _, issues) = import("soal.gift");
    assert!(issues.is_empty(), "{issues:#?}");
    let package = Package {
        id: "GIFT-UJI".into(),
        title: "Uji impor GIFT".into(),
        issuer: "SMP Uji".into(),
        stimuli: bank.stimuli.clone(),
        items: bank.items.clone(),
        tests: vec![Test {
            id: "T1".into(),
            name: "Bahasa Indonesia dan IPA".into(),
            kind: TestKind::Scored,
            duration_minutes: 60,
            items: bank.items.iter().map(|i| i.id.clone()).collect(),
            practice_items: vec![],
            rules: TestRules::default(),
            sealed: false,
        }],
        participants: vec![],
        sessions: vec![],
    };
    package.validate().unwrap();
}

#[test]
fn gift_bom_and_crlf_are_read_like_plain_text() {
    let raw = std::fs::read(fixtures().join("crlf_bom.gift")).unwrap();
    assert!(raw.starts_with("\u{feff}".as_bytes()) && raw.windows(2).any(|w| w == b"\r\n"));
    let (bank, _, issues) = import("crlf_bom.gift");
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(ids(&bank), ["Satu", "Dua"]);
    let q = item(&bank, "Satu");
    assert_eq!(q.prompt, "Apa warna daun yang sehat?");
    assert!(
        matches!(&q.body, ItemBody::MultipleChoice { options, key } if options[0].html == "Hijau" && key == "A")
    );
    assert!(
        matches!(&item(&bank, "Dua").body, ItemBody::ShortAnswer { accepted, .. } if accepted == &["100"])
    );
}

#[test]
fn gift_mistakes_are_reported_at_their_lines() {
    let (bank, _, errors, warnings) = import_all("rusak.gift");
    // Imported: the weighted one (with a warning), the one with an unknown marker (with a
    // warning), the good one. The skipped ones are errors.
    assert_eq!(ids(&bank), ["Bobot", "Format", "Baik"]);
    at_lines(
        &errors,
        "rusak.gift",
        &[
            (3, "never closed with }"),
            (5, "no option is correct"),
            (11, "3.14 plus or minus 0.01"),
            (13, "1..5 accepts a range"),
        ],
    );
    at_lines(
        &warnings,
        "rusak.gift",
        &[
            (7, "Ruji scores every correct option equally"),
            (9, "[htm] is not a GIFT format marker"),
        ],
    );
    assert!(
        matches!(&item(&bank, "Bobot").body, ItemBody::MultipleResponse { key, .. } if key == &["A", "B"])
    );
    assert!(item(&bank, "Format").prompt.starts_with("[htm]"));
}

#[test]
fn gift_weights_scored_differently_are_warnings_only() {
    let (bank, _, errors, warnings) = import_all("bobot.gift");
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(ids(&bank), ["Genap", "Prima"]);
    at_lines(
        &warnings,
        "bobot.gift",
        &[
            (3, "they count the same here (imported)"),
            (5, "option B gives 50% in Moodle"),
        ],
    );
    assert!(
        matches!(&item(&bank, "Prima").body, ItemBody::MultipleChoice { key, .. } if key == "A")
    );
}
