//! Writes the sample documents (tests/samples.rs's data) as PDF and HTML into a folder, for a
//! look: `cargo run -p ruji-print --example samples -- /tmp/print`.

#[path = "../tests/samples/mod.rs"]
mod samples;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&out).unwrap();
    for (name, doc) in samples::all(ruji_print::Lang::Id) {
        std::fs::write(format!("{out}/{name}.pdf"), doc.to_pdf()).unwrap();
        std::fs::write(format!("{out}/{name}.html"), doc.to_html()).unwrap();
    }
}
