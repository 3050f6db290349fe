//! TEMPORARY (memory helper): RSS of the loaded vocabulary. Deleted after use.
fn rss() -> String {
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::fs::read_to_string("/proc/self/status").unwrap().lines().filter(|l| l.starts_with("Rss")).map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(", ")
}
#[test]
fn rss_of_vocab() {
    let before = rss();
    if std::env::var("FULL").is_ok() {
        let tk = claude_tokenizer::get_tokenizer();
        let n = tk.encode("hello world", false).unwrap().len();
        eprintln!("FULL: before {before} KiB, after {} KiB ({n})", rss());
        std::hint::black_box(&tk);
    } else {
        translate::tokens::warm_up();
        let n = translate::tokens::count_text("hello world");
        eprintln!("COMPACT: before {before} KiB, after {} KiB ({n})", rss());
    }
}
