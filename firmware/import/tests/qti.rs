//! The QTI importer against fixture files: every interaction type, both namespaces, a prefixed
//! document, pictures, an IMS content package folder, and the ways an item can be wrong.

use std::path::PathBuf;
use std::sync::Arc;

use ruji_core::package::{Item, ItemBody, ItemType, Package, Test, TestKind, TestRules};
use ruji_import::qti::{is_qti, parse_item, parse_package};
use ruji_import::sanitize::Ctx;
use ruji_package::assets::name_hash;
use ruji_package::source::Folder;

fn fixtures(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/qti")
        .join(sub)
}

fn folder_ctx(sub: &str) -> Ctx {
    Ctx::new(Arc::new(Folder::new(fixtures(sub))))
}

/// Parses one fixture file through a context rooted at its folder.
fn parse_fixture(sub: &str, file: &str) -> (Option<Item>, Ctx) {
    let ctx = folder_ctx(sub);
    let xml = std::fs::read_to_string(fixtures(sub).join(file)).unwrap();
    (parse_item(&ctx, file, &xml), ctx)
}

/// A package holding `items` and one test listing them all.
fn package_of(items: Vec<Item>) -> Package {
    Package {
        id: "QTI-FIXTURES".into(),
        title: "QTI".into(),
        issuer: "test".into(),
        stimuli: vec![],
        tests: vec![Test {
            id: "T".into(),
            name: "Latihan".into(),
            kind: TestKind::Scored,
            duration_minutes: 60,
            items: items.iter().map(|i| i.id.clone()).collect(),
            practice_items: vec![],
            rules: TestRules::default(),
            sealed: false,
        }],
        items,
        participants: vec![],
        sessions: vec![],
    }
}

#[test]
fn qti_clean_items_cover_every_interaction_and_validate() {
    let ctx = folder_ctx("items");
    let bank = parse_package(&ctx);
    let (assets, issues) = ctx.finish();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(assets.len(), 1);
    // No manifest: the *.xml files in path order.
    let got: Vec<(&str, ItemType, u32)> = bank
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.item_type(), i.points))
        .collect();
    assert_eq!(
        got,
        [
            ("IPA-04", ItemType::Matching, 2),
            ("NUM-02", ItemType::ComplexMultipleChoice, 3),
            ("LIT-01", ItemType::MultipleChoice, 2),
            ("PKN-06", ItemType::Essay, 5),
            ("GEO-09", ItemType::MultipleChoice, 1),
            ("IPS-03", ItemType::Matching, 1),
            ("SEJ-08", ItemType::MultipleChoice, 1),
            ("MTK-07", ItemType::MultipleChoice, 1),
            ("BIN-05", ItemType::ShortAnswer, 1),
        ]
    );
    package_of(bank.items).validate().unwrap();
}

#[test]
fn qti_choice_21_indonesian_text_with_entities() {
    let (item, ctx) = parse_fixture("items", "choice_v21.xml");
    let item = item.unwrap();
    assert!(ctx.finish().1.is_empty());
    // The stimulus div stays in the prompt, entities are read, the interaction's prompt follows.
    assert!(
        item.prompt
            .contains("“Raja\n        menyuruhku menghitung kalian!”"),
        "{}",
        item.prompt
    );
    assert!(item.prompt.contains("punggung…</p>"));
    assert!(item
        .prompt
        .ends_with("<div>Sifat Kancil yang paling tampak dalam cerita tersebut adalah …</div>"));
    let ItemBody::MultipleChoice { options, key } = &item.body else {
        panic!("{:?}", item.body)
    };
    assert_eq!(key, "C");
    assert_eq!(options[3].html, "sombong <em>&amp;</em> angkuh");
}

#[test]
fn qti_choice_22_multiple_response() {
    let (item, _) = parse_fixture("items", "choice_multiple_v22.xml");
    let ItemBody::MultipleResponse { options, key } = item.unwrap().body else {
        panic!()
    };
    assert_eq!(options.len(), 5);
    assert_eq!(key, ["P2", "P3", "P7"]);
}

#[test]
fn qti_matching_from_match_and_associate() {
    let (item, _) = parse_fixture("items", "match.xml");
    let ItemBody::Matching {
        premises,
        targets,
        key,
    } = item.unwrap().body
    else {
        panic!()
    };
    assert_eq!(premises.len(), 3);
    assert_eq!(targets.len(), 4);
    assert_eq!(key[0], ("SBY".to_string(), "JATIM".to_string()));
    let (item, _) = parse_fixture("items", "associate.xml");
    let ItemBody::Matching {
        premises,
        targets,
        key,
    } = item.unwrap().body
    else {
        panic!()
    };
    let ids = |c: &[ruji_core::package::Choice]| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&premises), ["SAPI", "KUCING"]);
    assert_eq!(ids(&targets), ["RUMPUT", "IKAN", "BATU"]);
    assert_eq!(key.len(), 2);
}

#[test]
fn qti_text_entry_and_essay() {
    let (item, _) = parse_fixture("items", "text_entry.xml");
    let item = item.unwrap();
    assert!(
        item.prompt.ends_with("disebut\n      _____.</p>"),
        "{}",
        item.prompt
    );
    assert_eq!(
        item.body,
        ItemBody::ShortAnswer {
            accepted: vec!["fotosintesis".into(), "foto sintesis".into()],
            case_sensitive: false,
        }
    );
    let (item, _) = parse_fixture("items", "extended_text.xml");
    let item = item.unwrap();
    assert_eq!(item.body, ItemBody::Essay { max_chars: 2000 });
    assert!(item.prompt.contains("<div>Jelaskan dua contoh"));
}

#[test]
fn qti_prefixed_and_unnamespaced_documents() {
    let text = std::fs::read_to_string(fixtures("items").join("prefixed.xml")).unwrap();
    assert!(is_qti(&text));
    let (item, _) = parse_fixture("items", "prefixed.xml");
    let item = item.unwrap();
    assert_eq!(item.prompt, "<p>Hasil dari 12 × 3 adalah …</p>");
    assert!(matches!(item.body, ItemBody::MultipleChoice { ref key, .. } if key == "B"));
    let (item, _) = parse_fixture("items", "no_namespace.xml");
    assert!(
        matches!(item.unwrap().body, ItemBody::MultipleChoice { ref key, .. } if key == "X1945")
    );
}

#[test]
fn qti_image_item_turns_pictures_into_assets() {
    let (item, ctx) = parse_fixture("items", "image.xml");
    let item = item.unwrap();
    let png = std::fs::read(fixtures("items/img/peta.png")).unwrap();
    let url = format!("/a/{}.png", name_hash(&png));
    let (assets, issues) = ctx.finish();
    assert!(issues.is_empty(), "{issues:?}");
    assert!(
        item.prompt
            .contains(&format!(r#"<img src="{url}" alt="Peta Pulau Jawa""#)),
        "{}",
        item.prompt
    );
    let ItemBody::MultipleChoice { options, .. } = &item.body else {
        panic!()
    };
    // The <object> of a picture became an <img>.
    assert!(
        options[0]
            .html
            .contains(&format!(r#"<img src="{url}" alt="peta kecil""#)),
        "{}",
        options[0].html
    );
    assert_eq!(assets.len(), 1);
    assert_eq!(assets.get(url.trim_start_matches("/a/")), Some(&png));
}

#[test]
fn qti_content_package_folder() {
    let ctx = folder_ctx("package");
    let bank = parse_package(&ctx);
    let (assets, issues) = ctx.finish();
    assert!(issues.is_empty(), "{issues:?}");
    // Manifest order; the test resource and the picture resource are not items.
    let ids: Vec<&str> = bank.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["soal3", "soal1", "soal2"]);
    assert_eq!(bank.items[0].points, 4);
    let png = std::fs::read(fixtures("package/images/grafik.png")).unwrap();
    let url = format!("/a/{}.png", name_hash(&png));
    assert!(
        bank.items[1].prompt.contains(&url),
        "{}",
        bank.items[1].prompt
    );
    assert_eq!(assets.get(url.trim_start_matches("/a/")), Some(&png));
    assert_eq!(
        bank.items[2].body,
        ItemBody::ShortAnswer {
            accepted: vec!["2.5".into()],
            case_sensitive: false
        }
    );
    assert!(bank.stimuli.is_empty());
    package_of(bank.items).validate().unwrap();
}

#[test]
fn qti_bad_items_are_reported_at_the_right_place() {
    let cases = [
        ("malformed.xml", "malformed.xml", "not well-formed XML"),
        (
            "no_correct_response.xml",
            "no_correct_response.xml: choiceInteraction",
            "no correctResponse",
        ),
        (
            "hotspot.xml",
            "hotspot.xml: hotspotInteraction",
            "hotspotInteraction is not supported",
        ),
        (
            "match_unpaired.xml",
            "match_unpaired.xml: matchInteraction",
            "premise \"B\" has no pair",
        ),
    ];
    for (file, place, message) in cases {
        let (item, ctx) = parse_fixture("bad", file);
        assert!(item.is_none(), "{file}");
        let (assets, issues) = ctx.finish();
        assert!(assets.is_empty(), "{file}");
        assert_eq!(issues.len(), 1, "{file}: {issues:?}");
        assert_eq!(issues[0].place, place);
        assert!(issues[0].message.contains(message), "{file}: {issues:?}");
    }
    // Read as a folder without a manifest, the same four problems and no items.
    let ctx = folder_ctx("bad");
    assert!(parse_package(&ctx).items.is_empty());
    assert_eq!(ctx.finish().1.len(), 4);
}
