//! Start-up behaviour of `claude-server` (issue 6 §Start-up behaviour; ORIGINAL_DESIGN.md
//! §Deployment `NO_BROWSER`): open the console in the default browser on desktop systems.
//!
//! The decision is a pure function of the OS and the environment so it is tested without a
//! display; [`open`] is the only side effect and uses the platform's own opener through
//! `std::process` (no crate needed for three commands).

/// Whether to open the console: never when `NO_BROWSER` is set (`no_browser`), never on a
/// Linux/BSD machine without a graphical session (`DISPLAY` / `WAYLAND_DISPLAY` unset or empty —
/// servers, containers, SSH sessions, systemd units), otherwise yes on desktop OSes.
pub fn should_open_browser(
    no_browser: bool,
    os: &str,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    if no_browser {
        return false;
    }
    let set = |name: &str| env(name).is_some_and(|v| !v.trim().is_empty());
    match os {
        "macos" | "windows" => true,
        "linux" | "freebsd" | "openbsd" | "netbsd" | "dragonfly" => {
            set("DISPLAY") || set("WAYLAND_DISPLAY")
        }
        _ => false,
    }
}

/// The command that opens `url` in the default browser on `os`, as (program, args).
pub fn opener(os: &str, url: &str) -> (&'static str, Vec<String>) {
    match os {
        "macos" => ("open", vec![url.to_owned()]),
        // `start` is a cmd built-in; the empty string is the window title it would eat otherwise.
        "windows" => (
            "cmd",
            vec!["/C".into(), "start".into(), String::new(), url.to_owned()],
        ),
        _ => ("xdg-open", vec![url.to_owned()]),
    }
}

/// Opens `url` without waiting for the browser; a missing opener is only logged.
pub fn open(url: &str) {
    let (program, args) = opener(std::env::consts::OS, url);
    let spawned = std::process::Command::new(program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reap the opener in the background so it does not linger as a zombie.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::info!(program, error = %e, "could not open a browser"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    /// Each case: `--no-browser`, the OS, the environment, whether the browser opens.
    type Case = (
        bool,
        &'static str,
        &'static [(&'static str, &'static str)],
        bool,
    );

    fn check(cases: &[Case]) {
        for &(no_browser, os, vars, opens) in cases {
            assert_eq!(
                should_open_browser(no_browser, os, env(vars)),
                opens,
                "no_browser={no_browser} {os} {vars:?}"
            );
        }
    }

    #[test]
    fn no_browser_always_wins() {
        check(&[
            (true, "macos", &[], false),
            (true, "linux", &[("DISPLAY", ":0")], false),
        ]);
    }

    #[test]
    fn linux_needs_a_display() {
        check(&[
            (false, "linux", &[], false),
            (false, "linux", &[("DISPLAY", " ")], false),
            (false, "linux", &[("DISPLAY", ":0")], true),
            (false, "linux", &[("WAYLAND_DISPLAY", "wayland-0")], true),
        ]);
    }

    #[test]
    fn desktop_oses_open_and_unknown_ones_do_not() {
        check(&[
            (false, "macos", &[], true),
            (false, "windows", &[], true),
            (false, "android", &[("DISPLAY", ":0")], false),
        ]);
    }

    #[test]
    fn openers_per_platform() {
        assert_eq!(opener("macos", "http://x/").0, "open");
        assert_eq!(opener("linux", "http://x/").0, "xdg-open");
        let (prog, args) = opener("windows", "http://x/");
        assert_eq!(prog, "cmd");
        assert_eq!(args, ["/C", "start", "", "http://x/"]);
    }
}
