//! Cleaning item HTML on import, and turning the pictures and sound it refers to into assets.
//!
//! What survives: text formatting, lists, tables, pictures, audio and video players, MathML-free
//! plain markup. What goes: script and style elements, event handlers, `style` attributes, links,
//! forms, frames, and every URL that is not a file of the input (no `http:`, `//host`, `file:`).
//! A picture given as a `data:` URL or as a file next to the document becomes an [`Assets`] entry.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::Issue;
use ruji_package::assets::{Assets, URL_PREFIX};
use ruji_package::source::{dir_of, resolve, Source};

/// The import context an importer works in: where it reads files from, the assets found so far
/// and the problems found so far.
///
/// Problems come in two kinds. An error ([`Ctx::issue`]) means something was skipped, dropped or
/// may be wrong (a question not imported, a picture removed, a row left out): `ruji import
/// --check` fails and `ruji pack` refuses. A warning ([`Ctx::warn`]) notes an adjustment made to
/// something imported faithfully (an unknown GIFT `[marker]` kept as text, a NISN given back its
/// leading zeros): it is shown, and packing goes on.
pub struct Ctx {
    source: Arc<dyn Source>,
    assets: Arc<Mutex<Assets>>,
    issues: Arc<Mutex<Vec<Issue>>>,
    warnings: Arc<Mutex<Vec<Issue>>>,
}

impl Ctx {
    /// A context reading referenced files from `source`.
    pub fn new(source: Arc<dyn Source>) -> Ctx {
        Ctx {
            source,
            assets: Arc::default(),
            issues: Arc::default(),
            warnings: Arc::default(),
        }
    }

    /// A context for text with no files around it (a single uploaded file).
    pub fn standalone() -> Ctx {
        Ctx::new(Arc::new(ruji_package::source::Memory::default()))
    }

    /// The files of the input.
    pub fn source(&self) -> &dyn Source {
        &*self.source
    }

    /// A shared handle on the files of the input (for a view of one of its folders).
    pub fn source_arc(&self) -> Arc<dyn Source> {
        self.source.clone()
    }

    /// Records an error: something was skipped, dropped or may be wrong. Any error blocks
    /// packing.
    pub fn issue(&self, place: impl Into<String>, message: impl Into<String>) {
        self.issues
            .lock()
            .expect("not poisoned")
            .push(Issue::new(place, message));
    }

    /// Records a warning: what was read is imported faithfully, with an adjustment `message`
    /// explains (saying what Ruji did). Warnings do not block packing.
    pub fn warn(&self, place: impl Into<String>, message: impl Into<String>) {
        self.warnings
            .lock()
            .expect("not poisoned")
            .push(Issue::new(place, message));
    }

    /// Errors so far (warnings are not counted).
    pub fn issue_count(&self) -> usize {
        self.issues.lock().expect("not poisoned").len()
    }

    /// Adds an asset file directly (e.g. a QTI `<img>` resolved by the importer).
    pub fn add_asset(&self, file: &str, bytes: Vec<u8>) -> Result<String, String> {
        self.assets.lock().expect("not poisoned").add(file, bytes)
    }

    /// Cleans `raw`, HTML written in the document `doc` (a path in the source, used to resolve
    /// relative picture paths), reporting problems at `place`.
    pub fn html(&self, place: &str, doc: &str, raw: &str) -> String {
        let base = dir_of(doc).to_string();
        let eval = Resolver {
            source: self.source.clone(),
            assets: self.assets.clone(),
            issues: self.issues.clone(),
            base,
            place: place.to_string(),
        };
        let data_assets = self.assets.clone();
        let data_issues = self.issues.clone();
        let data_place = place.to_string();
        let mut b = ammonia::Builder::default();
        b.rm_tags(&["a"])
            .add_tags(&["audio", "video", "source", "figure", "figcaption", "u", "s"])
            .add_tag_attributes("audio", &["src", "controls"])
            .add_tag_attributes("video", &["src", "controls", "width", "height"])
            .add_tag_attributes("source", &["src", "type"])
            .add_tag_attributes("td", &["colspan", "rowspan"])
            .add_tag_attributes("th", &["colspan", "rowspan"])
            .url_schemes(HashSet::from(["data", "http", "https", "ftp", "file"]))
            .url_relative(ammonia::UrlRelative::Custom(Box::new(eval)))
            .attribute_filter(move |element, attribute, value| {
                if attribute != "src" && attribute != "href" {
                    return Some(Cow::Borrowed(value));
                }
                let v = value.trim_start();
                if v.contains(':') && !v.starts_with("data:") {
                    data_issues.lock().expect("not poisoned").push(Issue::new(
                        &data_place,
                        format!("<{element}> {v}: files on the internet are not reachable in the exam room; put the file in the package; removed"),
                    ));
                    return None;
                }
                if !v.starts_with("data:") {
                    return Some(Cow::Borrowed(value));
                }
                match data_url(value) {
                    Some((ext, bytes)) => {
                        let file = format!("embedded.{ext}");
                        match data_assets.lock().expect("not poisoned").add(&file, bytes) {
                            Ok(url) => Some(Cow::Owned(url)),
                            Err(e) => {
                                data_issues
                                    .lock()
                                    .expect("not poisoned")
                                    .push(Issue::new(&data_place, e));
                                None
                            }
                        }
                    }
                    None => {
                        data_issues.lock().expect("not poisoned").push(Issue::new(
                            &data_place,
                            format!("<{element}>: an embedded data: file that is not a base64 picture or sound; removed"),
                        ));
                        None
                    }
                }
            });
        b.clean(raw).to_string()
    }

    /// Plain text as HTML (escaped).
    pub fn text(&self, s: &str) -> String {
        ammonia::clean_text(s)
    }

    /// Takes over the assets, errors and warnings of a context used for a part of the input (a
    /// content package inside a folder), prefixing their places with `prefix`.
    pub fn absorb(&self, part: Ctx, prefix: &str) {
        let (assets, issues, warnings) = part.finish_with_warnings();
        let mut mine = self.assets.lock().expect("not poisoned");
        for (name, bytes) in assets.iter() {
            mine.insert(name.clone(), bytes.clone());
        }
        for (list, found) in [(&self.issues, issues), (&self.warnings, warnings)] {
            let mut list = list.lock().expect("not poisoned");
            for i in found {
                list.push(Issue::new(format!("{prefix}{}", i.place), i.message));
            }
        }
    }

    /// The errors so far (a copy).
    pub fn issues(&self) -> Vec<Issue> {
        self.issues.lock().expect("not poisoned").clone()
    }

    /// The warnings so far (a copy).
    pub fn warnings(&self) -> Vec<Issue> {
        self.warnings.lock().expect("not poisoned").clone()
    }

    /// The assets and errors collected (warnings are dropped: use
    /// [`Ctx::finish_with_warnings`] to show them).
    pub fn finish(self) -> (Assets, Vec<Issue>) {
        let (assets, issues, _) = self.finish_with_warnings();
        (assets, issues)
    }

    /// The assets, errors and warnings collected.
    pub fn finish_with_warnings(self) -> (Assets, Vec<Issue>, Vec<Issue>) {
        let assets = std::mem::take(&mut *self.assets.lock().expect("not poisoned"));
        let issues = std::mem::take(&mut *self.issues.lock().expect("not poisoned"));
        let warnings = std::mem::take(&mut *self.warnings.lock().expect("not poisoned"));
        (assets, issues, warnings)
    }
}

struct Resolver {
    source: Arc<dyn Source>,
    assets: Arc<Mutex<Assets>>,
    issues: Arc<Mutex<Vec<Issue>>>,
    base: String,
    place: String,
}

impl ammonia::UrlRelativeEvaluate<'static> for Resolver {
    fn evaluate<'a>(&self, url: &'a str) -> Option<Cow<'a, str>> {
        if let Some(name) = url.strip_prefix(URL_PREFIX) {
            // Already an asset (a data: URL turned into one, or a package read back).
            if self
                .assets
                .lock()
                .expect("not poisoned")
                .get(name)
                .is_some()
            {
                return Some(Cow::Borrowed(url));
            }
        }
        let problem = match resolve(&self.base, url) {
            None => format!("{url}: refers to something outside the input; removed"),
            Some(path) => match self.source.read(&path) {
                Ok(bytes) => match self.assets.lock().expect("not poisoned").add(&path, bytes) {
                    Ok(u) => return Some(Cow::Owned(u)),
                    Err(e) => e,
                },
                Err(e) => format!("picture or sound not found: {e}"),
            },
        };
        self.issues
            .lock()
            .expect("not poisoned")
            .push(Issue::new(&self.place, problem));
        None
    }
}

/// Decodes `data:<mime>;base64,<data>` into (extension, bytes).
fn data_url(v: &str) -> Option<(&'static str, Vec<u8>)> {
    let rest = v.trim().strip_prefix("data:")?;
    let (head, data) = rest.split_once(',')?;
    let mime = head.strip_suffix(";base64")?;
    let ext = ruji_package::assets::TYPES
        .iter()
        .find(|(_, m)| m.eq_ignore_ascii_case(mime))
        .map(|(e, _)| *e)?;
    let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = data_encoding::BASE64
        .decode(clean.as_bytes())
        .or_else(|_| data_encoding::BASE64_NOPAD.decode(clean.trim_end_matches('=').as_bytes()))
        .ok()?;
    Some((ext, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruji_package::source::Memory;

    fn ctx() -> Ctx {
        let mut m = Memory::default();
        m.files
            .insert("soal/img/peta.png".into(), b"PNGDATA".to_vec());
        Ctx::new(Arc::new(m))
    }

    #[test]
    fn strips_script_handlers_links_and_external_urls() {
        let c = ctx();
        let out = c.html(
            "item 1",
            "soal/a.xml",
            r#"<p onclick="x()">Baca <b>teks</b><script>alert(1)</script>
               <a href="http://evil">tautan</a><img src="http://evil/x.png">
               <img src="//evil/y.png"><span style="background:url(http://e)">s</span></p>"#,
        );
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("evil"));
        assert!(!out.contains("style") && !out.contains("href"));
        assert!(out.contains("<b>teks</b>") && out.contains("tautan"));
        let (_, issues) = c.finish();
        assert_eq!(issues.len(), 3, "{issues:?}");
    }

    #[test]
    fn warnings_are_kept_apart_from_errors_and_absorbed_with_a_prefix() {
        let c = ctx();
        c.issue("a", "dropped");
        c.warn("b", "adjusted");
        assert_eq!(c.issue_count(), 1);
        assert_eq!(c.warnings(), [Issue::new("b", "adjusted")]);
        let part = ctx();
        part.issue("q.xml", "skipped");
        part.warn("r.xml", "kept");
        c.absorb(part, "paket.zip: ");
        let (_, errors, warnings) = c.finish_with_warnings();
        assert_eq!(
            errors,
            [
                Issue::new("a", "dropped"),
                Issue::new("paket.zip: q.xml", "skipped")
            ]
        );
        assert_eq!(
            warnings,
            [
                Issue::new("b", "adjusted"),
                Issue::new("paket.zip: r.xml", "kept")
            ]
        );
        // `finish` gives the errors only.
        let c = ctx();
        c.warn("b", "adjusted");
        assert!(c.finish().1.is_empty());
    }

    #[test]
    fn relative_and_data_pictures_become_assets() {
        let c = ctx();
        let out = c.html(
            "item 2",
            "soal/a.xml",
            r#"<img src="img/peta.png" alt="Peta"><img src="data:image/png;base64,UE5HREFUQQ==">
               <img src="img/hilang.png">"#,
        );
        let (assets, issues) = c.finish();
        // Both pictures are the same bytes: one asset, referenced twice.
        assert_eq!(assets.len(), 1);
        let name = assets.iter().next().unwrap().0.clone();
        assert_eq!(out.matches(&format!("/a/{name}")).count(), 2, "{out}");
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("hilang.png"), "{issues:?}");
    }
}
