//! Writes the docs' picture of the LED patterns: `cargo run -p ruji-panel --example led_patterns`.
//!
//! Draws `docs/screens/led-patterns.svg` with [`ruji_panel::picture::led_patterns_svg`], renders
//! `docs/screens/led-patterns.png` from it with `rsvg-convert` (Debian: `apt-get install
//! librsvg2-bin`) at twice its size, and stamps the PNG with the SVG's fingerprint, which the
//! test `picture::tests::the_docs_picture_is_what_the_patterns_draw` checks. Look at the PNG
//! before committing both.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use ruji_panel::picture::{
    fingerprint, led_patterns_svg, png_with_text, DOCS_PNG, DOCS_SVG, PNG_KEY,
};

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (svg_path, png_path) = (root.join(DOCS_SVG), root.join(DOCS_PNG));
    let svg = led_patterns_svg();
    if let Err(e) = std::fs::write(&svg_path, &svg) {
        eprintln!("cannot write {}: {e}", svg_path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {DOCS_SVG}");
    let rendered = Command::new("rsvg-convert")
        .args(["--zoom", "2", "--format", "png", "--output"])
        .arg(&png_path)
        .arg(&svg_path)
        .status();
    match rendered {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("rsvg-convert failed ({s}); {DOCS_PNG} not updated");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!(
                "cannot run rsvg-convert ({e}); install it (Debian: apt-get install librsvg2-bin) \
                 and run this again; {DOCS_PNG} not updated"
            );
            return ExitCode::FAILURE;
        }
    }
    let stamped = std::fs::read(&png_path)
        .ok()
        .and_then(|png| png_with_text(&png, PNG_KEY, &fingerprint(&svg)));
    let Some(stamped) = stamped else {
        eprintln!("rsvg-convert did not write a readable PNG at {DOCS_PNG}");
        return ExitCode::FAILURE;
    };
    if let Err(e) = std::fs::write(&png_path, stamped) {
        eprintln!("cannot write {}: {e}", png_path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {DOCS_PNG}; look at it before committing");
    ExitCode::SUCCESS
}
