//! Package benchmark: how long an exam package of realistic size takes to build and to import,
//! and how much memory that needs (issue 6: "import time and peak memory for a package of 200
//! items with 20 MB of images").
//!
//! Generates, in a temporary folder, an authoring folder with 200 items of the six kinds in
//! Indonesian (180 in native TOML over three tests, 20 in GIFT in a fourth), 40 stimuli and
//! questions each showing one of 40 distinct pictures of ~500 KB (random bytes under `.png`
//! names: Ruji never decodes pictures, and random bytes do not compress, like real PNG/JPEG),
//! 320 participants in a CSV, and four sessions of two tests each. Then it measures, median of
//! `--runs` runs (default 5):
//!
//! - load: `native::load` (parse, sanitise, hash pictures, validate);
//! - pack: `package::pack` (seal every test, picture and session key; sign; zip);
//! - verify: `package::verify` (zip limits, signature, SHA-256 of every entry, public checks);
//! - open: every session as a proctor would on exam day: decode the typed release code,
//!   `session_keys`, `open_tests`, `package()` (the release codes are printed beforehand by the
//!   issuer, so deriving them is not timed).
//!
//! Peak RSS (`VmHWM`) is reported for this whole process, and for a second process that does
//! only what a board does (read the file, verify, open every session), started as
//! `bench_import --board FILE PUBLIC_KEY CODE...`.
//!
//! A benchmark, not a test: it asserts only that the work succeeded. Run it in release mode:
//! `cargo run --release -p ruji-sync --example bench_import [-- --runs N]`, or `scripts/bench
//! packages`. Human-readable progress goes to stderr, a Markdown table to stdout.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rand::RngCore;
use ruji_import::native;
use ruji_package::release;
use ruji_package::{self as package, IssuerKey, Sealed};

/// Pictures in the authoring folder.
const IMAGES: usize = 40;
/// Bytes per picture: 40 x 512,000 B = 20.48 MB.
const IMAGE_BYTES: usize = 512_000;
/// Items per native TOML test (three of them).
const TOML_ITEMS: usize = 60;
/// Items in the GIFT test.
const GIFT_ITEMS: usize = 20;
/// A stimulus (with a picture) before every this many TOML items.
const ITEMS_PER_STIMULUS: usize = 5;
/// Classes of 32 participants.
const CLASSES: [&str; 10] = [
    "IX-A", "IX-B", "IX-C", "IX-D", "IX-E", "IX-F", "IX-G", "IX-H", "IX-J", "IX-K",
];
const PER_CLASS: usize = 32;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("--board") {
        board(&args[1..])
    } else {
        bench(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_import: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Peak resident set size of this process in KiB, from `/proc/self/status`.
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mb(kib: Option<u64>) -> String {
    kib.map_or_else(|| "-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Opens every session of `sealed` with its typed release code, as a board does on exam day,
/// and returns the number of items released in all.
fn open_all(sealed: &Sealed, codes: &[(String, String)]) -> Result<usize, String> {
    let mut items = 0;
    for (session, code) in codes {
        let secret = release::decode(code).map_err(|e| format!("code of {session}: {e}"))?;
        let keys = sealed
            .session_keys(session, &secret)
            .map_err(|e| e.to_string())?;
        let (contents, _assets) = sealed.open_tests(&keys).map_err(|e| e.to_string())?;
        let pkg = sealed.package(&contents).map_err(|e| e.to_string())?;
        items += pkg.items.len();
    }
    Ok(items)
}

/// `--board FILE PUBLIC_KEY SESSION=CODE...`: only what a board does, for its peak RSS.
fn board(args: &[String]) -> Result<(), String> {
    let [file, key, codes @ ..] = args else {
        return Err("usage: bench_import --board FILE PUBLIC_KEY SESSION=CODE...".into());
    };
    let codes: Vec<(String, String)> = codes
        .iter()
        .map(|c| {
            c.split_once('=')
                .map(|(s, c)| (s.to_string(), c.to_string()))
                .ok_or_else(|| format!("{c}: expected SESSION=CODE"))
        })
        .collect::<Result<_, _>>()?;
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    let sealed = package::verify(&bytes, std::slice::from_ref(key)).map_err(|e| e.to_string())?;
    let items = open_all(&sealed, &codes)?;
    println!("{items} {}", vm_hwm_kib().unwrap_or(0));
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut runs = 5usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--runs needs a positive number")?;
            }
            other => return Err(format!("unknown argument {other:?} (use --runs N)")),
        }
    }
    let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let root = dir.path().join("paket");
    write_folder(&root).map_err(|e| format!("writing the authoring folder: {e}"))?;
    eprintln!("bench_import: authoring folder in {}", root.display());

    let key = IssuerKey::generate();
    let (mut load, mut pack, mut verify, mut open) = (vec![], vec![], vec![], vec![]);
    let mut last = None;
    for run in 1..=runs {
        let t = Instant::now();
        let loaded = native::load(&root);
        load.push(t.elapsed());
        if !loaded.issues.is_empty() {
            let list: Vec<String> = loaded.issues.iter().map(ToString::to_string).collect();
            return Err(format!(
                "the generated folder has problems: {}",
                list.join("; ")
            ));
        }

        let t = Instant::now();
        let bytes = package::pack(&loaded.package, &loaded.assets, &key, 1_795_000_000)
            .map_err(|e| e.to_string())?;
        pack.push(t.elapsed());

        let codes: Vec<(String, String)> = loaded
            .package
            .sessions
            .iter()
            .map(|s| {
                package::release_code(&bytes, &key, &s.id)
                    .map(|c| (s.id.clone(), c))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;

        let t = Instant::now();
        let sealed = package::verify(&bytes, &[key.public()]).map_err(|e| e.to_string())?;
        verify.push(t.elapsed());

        let t = Instant::now();
        let items = open_all(&sealed, &codes)?;
        open.push(t.elapsed());

        eprintln!(
            "bench_import: run {run}/{runs}: load {} ms, pack {} ms, verify {} ms, open {} sessions {} ms",
            ms(load[run - 1]),
            ms(pack[run - 1]),
            ms(verify[run - 1]),
            codes.len(),
            ms(open[run - 1])
        );
        last = Some((loaded, bytes, codes, items));
    }
    let (loaded, bytes, codes, released) = last.expect("at least one run");
    let whole_hwm = vm_hwm_kib();

    // The board's side alone, in a fresh process.
    let file = dir.path().join("paket.rujipkg");
    std::fs::write(&file, &bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .arg("--board")
        .arg(&file)
        .arg(key.public())
        .args(codes.iter().map(|(s, c)| format!("{s}={c}")))
        .output()
        .map_err(|e| format!("starting the board process: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the board process failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let board_line = String::from_utf8_lossy(&out.stdout);
    let board_hwm = board_line
        .split_whitespace()
        .nth(1)
        .and_then(|k| k.parse::<u64>().ok())
        .filter(|&k| k > 0);

    let p = &loaded.package;
    let test_items: usize = p.tests.iter().map(|t| t.items.len()).sum();
    println!(
        "Package: {} items ({} scored + {} practice) in {} tests, {} stimuli, {} pictures \
         ({:.1} MB), {} participants, {} sessions; package file {:.1} MB; {} items released over \
         the {} sessions (a test in two sessions counts twice).",
        p.items.len(),
        test_items,
        p.items.len() - test_items,
        p.tests.len(),
        p.stimuli.len(),
        loaded.assets.len(),
        loaded.assets.total_bytes() as f64 / 1e6,
        p.participants.len(),
        p.sessions.len(),
        bytes.len() as f64 / 1e6,
        released,
        codes.len(),
    );
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("Median of {runs} runs, {build} build, {} CPUs.", cpus());
    println!();
    println!("| step | median ms | min ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, v) in [
        ("load (`native::load`)", &load),
        ("pack (`package::pack`)", &pack),
        ("verify (`package::verify`)", &verify),
        (
            "open all sessions (code → `session_keys` → `open_tests` → `package()`)",
            &open,
        ),
    ] {
        let min = v.iter().min().copied().unwrap_or_default();
        let max = v.iter().max().copied().unwrap_or_default();
        println!(
            "| {name} | {} | {} | {} |",
            ms(median(v.clone())),
            ms(min),
            ms(max)
        );
    }
    println!();
    println!("| peak RSS (VmHWM) | MB |");
    println!("|---|---:|");
    println!(
        "| whole benchmark (author side + board side, {runs} runs) | {} |",
        mb(whole_hwm)
    );
    println!(
        "| board side alone (read file, verify, open every session) | {} |",
        mb(board_hwm)
    );
    Ok(())
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

// ---------------------------------------------------------------------------------------------
// The generated authoring folder

/// Subjects of the three TOML tests: id, name, topic words used in the generated text.
const SUBJECTS: [(&str, &str, [&str; 4]); 3] = [
    (
        "BIN",
        "Bahasa Indonesia",
        [
            "teks laporan",
            "paragraf",
            "gagasan utama",
            "kalimat efektif",
        ],
    ),
    (
        "MTK",
        "Matematika",
        ["persamaan linear", "bangun ruang", "peluang", "statistika"],
    ),
    (
        "IPA",
        "Ilmu Pengetahuan Alam",
        [
            "sistem pernapasan",
            "gaya dan gerak",
            "listrik statis",
            "ekosistem",
        ],
    ),
];

const VILLAGES: [&str; 6] = [
    "Sukamaju",
    "Sidomulyo",
    "Karanganyar",
    "Mekarsari",
    "Tanjungsari",
    "Sumberejo",
];

fn stimulus_html(n: usize, subject: &str, topic: &str, image: usize) -> String {
    let village = VILLAGES[n % VILLAGES.len()];
    format!(
        "<p>Bacalah teks berikut dengan saksama. Teks ini membahas {topic} dalam pelajaran \
         {subject}.</p>\n<p>Di Desa {village}, para siswa kelas IX melakukan pengamatan selama dua \
         minggu. Mereka mencatat hasilnya setiap pagi dan sore, lalu membandingkannya dengan data \
         dari buku pelajaran. Guru membimbing mereka menyusun tabel dan grafik sederhana.</p>\n\
         <p>Hasil pengamatan menunjukkan bahwa kerja sama dan ketelitian sangat menentukan mutu \
         data. Kelompok yang membagi tugas dengan jelas menyelesaikan laporan lebih cepat dan \
         lebih rapi. Laporan terbaik dipajang di papan pengumuman sekolah.</p>\n\
         <figure><img src=\"../gambar/g{image:02}.png\" alt=\"Gambar {image}\">\
         <figcaption>Gambar {image}. Hasil pengamatan kelompok {n}</figcaption></figure>\n"
    )
}

/// One TOML item of kind `k` (0-5), number `n` within its test.
fn toml_item(out: &mut String, id: &str, k: usize, n: usize, topic: &str, stimulus: &str) {
    let village = VILLAGES[n % VILLAGES.len()];
    let _ = writeln!(out, "[[item]]\nid = \"{id}\"\nstimulus = \"{stimulus}\"");
    match k {
        0 => {
            let _ = writeln!(
                out,
                "type = \"multiple_choice\"\nprompt = \"<p>Berdasarkan teks, apa yang paling \
                 menentukan mutu data tentang {topic} di Desa {village}?</p>\"\noptions = \
                 [\"Jumlah siswa\", \"Kerja sama dan ketelitian\", \"Cuaca yang cerah\", \
                 \"Buku pelajaran yang baru\"]\nkey = \"B\""
            );
        }
        1 => {
            let _ = writeln!(
                out,
                "type = \"complex_multiple_choice\"\nprompt = \"<p>Pilih <u>semua</u> pernyataan \
                 yang sesuai dengan teks tentang {topic}.</p>\"\noptions = [\"Pengamatan \
                 dilakukan dua minggu\", \"Data dicatat sekali sehari\", \"Guru membimbing \
                 siswa\", \"Laporan dipajang di balai desa\"]\nkey = [\"A\", \"C\"]"
            );
        }
        2 => {
            let _ = writeln!(
                out,
                "type = \"true_false\"\nprompt = \"Tentukan benar atau salah setiap pernyataan \
                 berikut.\"\nstatements = [\"Siswa mencatat hasil setiap pagi dan sore.\", \
                 \"Semua kelompok menyelesaikan laporan bersamaan.\", \"Data dibandingkan dengan \
                 buku pelajaran.\"]\nkey = [true, false, true]"
            );
        }
        3 => {
            let _ = writeln!(
                out,
                "type = \"matching\"\nprompt = \"Jodohkan kegiatan dengan tujuannya.\"\n\
                 premises = [\"Mencatat data\", \"Membuat grafik\", \"Membagi tugas\"]\n\
                 targets = [\"Menyajikan hasil\", \"Menyimpan hasil pengamatan\", \"Bekerja \
                 lebih cepat\", \"Mengganti buku\"]\nkey = [\"B\", \"A\", \"C\"]"
            );
        }
        4 => {
            let _ = writeln!(
                out,
                "type = \"short_answer\"\nprompt = \"Nama desa tempat pengamatan dalam teks \
                 adalah ...\"\naccepted = [\"{village}\", \"Desa {village}\"]"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "type = \"essay\"\nprompt = \"<p>Jelaskan dengan kata-katamu sendiri mengapa \
                 {topic} penting dipelajari. Tulis satu paragraf.</p>\"\nmax_chars = 2000\n\
                 points = 4"
            );
        }
    }
    out.push('\n');
}

/// A native item file with `TOML_ITEMS` items, a stimulus with a picture before every
/// `ITEMS_PER_STIMULUS`; pictures from `first_image` on.
fn toml_test(code: &str, subject: &str, topics: &[&str; 4], first_image: usize) -> String {
    let mut out = format!("# Soal {subject} (dibuat oleh bench_import)\n\n");
    for s in 0..TOML_ITEMS / ITEMS_PER_STIMULUS {
        let topic = topics[s % topics.len()];
        let sid = format!("{code}-teks-{:02}", s + 1);
        let _ = writeln!(
            out,
            "[[stimulus]]\nid = \"{sid}\"\ntitle = \"Teks {} tentang {topic}\"\nhtml = \"\"\"\n{}\"\"\"\n",
            s + 1,
            stimulus_html(s, subject, topic, first_image + s)
        );
        for j in 0..ITEMS_PER_STIMULUS {
            let n = s * ITEMS_PER_STIMULUS + j;
            toml_item(
                &mut out,
                &format!("{code}{:03}", n + 1),
                n % 6,
                n,
                topic,
                &sid,
            );
        }
    }
    out
}

/// The GIFT test: `GIFT_ITEMS` questions of every GIFT kind, four with a picture.
fn gift_test(first_image: usize) -> String {
    let mut out = String::from("// Soal IPS dalam format GIFT (dibuat oleh bench_import)\n\n");
    for n in 0..GIFT_ITEMS {
        let id = format!("IPS{:03}", n + 1);
        let village = VILLAGES[n % VILLAGES.len()];
        let picture = if n % 5 == 0 {
            format!(
                "<img src=\"../gambar/g{:02}.png\" alt=\"Peta\"> ",
                first_image + n / 5
            )
        } else {
            String::new()
        };
        let q = match n % 6 {
            0 => format!(
                "[html]<p>{picture}Perhatikan peta. Desa {village} terletak di dataran rendah. \
                 Mata pencaharian utama penduduknya adalah ...</p> {{=bertani ~melaut ~berburu \
                 ~menambang}}"
            ),
            1 => format!(
                "[html]<p>{picture}Pilih semua kegiatan ekonomi di bidang jasa.</p> \
                 {{~%50%guru ~%50%dokter ~%-100%petani ~%-100%nelayan}}"
            ),
            2 => format!("[html]<p>{picture}Indonesia adalah negara kepulauan.</p> {{T}}"),
            3 => format!(
                "[html]<p>{picture}Ibu kota Provinsi Jawa Tengah adalah ...</p> \
                 {{=Semarang =Kota Semarang}}"
            ),
            4 => format!(
                "[html]<p>{picture}Jodohkan provinsi dengan ibu kotanya.</p> {{=Jawa Barat -> \
                 Bandung =Jawa Timur -> Surabaya =Bali -> Denpasar}}"
            ),
            _ => format!(
                "[html]<p>{picture}Jelaskan manfaat gotong royong bagi warga Desa {village}.</p> \
                 {{}}"
            ),
        };
        let _ = writeln!(out, "::{id}:: {q}\n");
    }
    out
}

fn participants_csv() -> String {
    let mut out = String::from("No;NISN;Nama Peserta;Tanggal Lahir;Kelas;JK;Username;Password\n");
    let first = [
        "Ani", "Budi", "Citra", "Dedi", "Eka", "Fajar", "Gita", "Hendra",
    ];
    let last = [
        "Lestari",
        "Santoso",
        "Dewi",
        "Kurniawan",
        "Putri",
        "Saputra",
        "Wulandari",
        "Hidayat",
    ];
    let mut no = 0;
    for class in CLASSES {
        for i in 0..PER_CLASS {
            no += 1;
            let _ = writeln!(
                out,
                "{no};00812{no:05};{} {};{:02}-{:02}-2011;{class};{};{class}-{:02};PW{no:06}",
                first[no % first.len()],
                last[(no / 3) % last.len()],
                no % 28 + 1,
                no % 12 + 1,
                if no % 2 == 0 { "L" } else { "P" },
                i + 1,
            );
        }
    }
    out
}

fn paket_toml() -> String {
    let mut out = String::from(
        "id = \"BENCH-PAS-2026-IX\"\ntitle = \"Penilaian Akhir Semester (benchmark)\"\n\
         issuer = \"SMP Negeri 1 Contoh\"\nparticipants = [\"peserta.csv\"]\n\n",
    );
    for (code, name, _) in SUBJECTS {
        let _ = writeln!(
            out,
            "[[test]]\nid = \"{code}\"\nname = \"{name}\"\nduration_minutes = 90\nitems = \
             [\"soal/{}.toml\"]\nshuffle_items = true\n",
            code.to_lowercase()
        );
    }
    out.push_str(
        "[[test]]\nid = \"IPS\"\nname = \"Ilmu Pengetahuan Sosial\"\nduration_minutes = 60\n\
         items = [\"soal/ips.gift\"]\n\n",
    );
    let (a, b) = CLASSES.split_at(CLASSES.len() / 2);
    let list = |c: &[&str]| {
        c.iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (n, (tests, classes, start)) in [
        ("\"BIN\", \"MTK\"", a, "07:30"),
        ("\"BIN\", \"MTK\"", b, "10:30"),
        ("\"IPA\", \"IPS\"", a, "07:30"),
        ("\"IPA\", \"IPS\"", b, "10:30"),
    ]
    .into_iter()
    .enumerate()
    {
        let _ = writeln!(
            out,
            "[[session]]\nid = \"S{}\"\nname = \"Hari {} Sesi {}\"\nday = \"2026-12-0{}\"\n\
             start = \"{start}\"\ntests = [{tests}]\nparticipants = [{}]\n",
            n + 1,
            n / 2 + 1,
            n % 2 + 1,
            n / 2 + 1,
            list(classes)
        );
    }
    out
}

/// Writes the authoring folder under `root`.
fn write_folder(root: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(root.join("soal"))?;
    std::fs::create_dir_all(root.join("gambar"))?;
    let mut rng = rand::rng();
    let mut buf = vec![0u8; IMAGE_BYTES];
    for i in 1..=IMAGES {
        rng.fill_bytes(&mut buf);
        std::fs::write(root.join(format!("gambar/g{i:02}.png")), &buf)?;
    }
    let per_toml = TOML_ITEMS / ITEMS_PER_STIMULUS;
    for (k, (code, name, topics)) in SUBJECTS.iter().enumerate() {
        std::fs::write(
            root.join(format!("soal/{}.toml", code.to_lowercase())),
            toml_test(code, name, topics, 1 + k * per_toml),
        )?;
    }
    std::fs::write(
        root.join("soal/ips.gift"),
        gift_test(1 + SUBJECTS.len() * per_toml),
    )?;
    std::fs::write(root.join("peserta.csv"), participants_csv())?;
    std::fs::write(root.join("paket.toml"), paket_toml())?;
    Ok(())
}
