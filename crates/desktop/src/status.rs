//! What the app knows about its in-process gateway, and how that is worded in the window title, the
//! tray and the status page (issue 9: "shows the gateway's health and the admin-password warning";
//! "a busy port is reported in the window, not a crash"). Pure data, no I/O.

use serde::Serialize;

/// The gateway's state as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// Not running (never started, or stopped from the tray).
    Stopped {
        /// The port a start would use.
        port: u16,
    },
    /// Binding and opening the database.
    Starting {
        /// The port being bound.
        port: u16,
    },
    /// Serving on 127.0.0.1:`port`.
    Running {
        /// The bound port.
        port: u16,
        /// The last `/healthz` probe answered 200 (`None` before the first probe).
        healthy: Option<bool>,
        /// The admin password is still the seed `admin`.
        default_password: bool,
    },
    /// Could not start, or stopped on its own with an error.
    Failed {
        /// The port it tried.
        port: u16,
        /// Why, in words for the user.
        message: String,
        /// True when the port was taken (the status page then offers another port).
        port_busy: bool,
    },
}

impl Status {
    /// The port this status refers to.
    pub fn port(&self) -> u16 {
        match self {
            Self::Stopped { port }
            | Self::Starting { port }
            | Self::Running { port, .. }
            | Self::Failed { port, .. } => *port,
        }
    }

    /// True while the gateway serves.
    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running { .. })
    }

    /// One line for the tray's status item and the tooltip.
    pub fn summary(&self) -> String {
        match self {
            Self::Stopped { .. } => "Gateway stopped".to_string(),
            Self::Starting { port } => format!("Gateway starting on 127.0.0.1:{port}…"),
            Self::Running { port, healthy, .. } => {
                let health = match healthy {
                    Some(true) => "healthy",
                    Some(false) => "NOT healthy",
                    None => "checking…",
                };
                format!("Gateway running on 127.0.0.1:{port} ({health})")
            }
            Self::Failed { message, .. } => format!("Gateway failed: {message}"),
        }
    }

    /// The admin-password warning, when it applies.
    pub fn password_warning(&self) -> Option<&'static str> {
        match self {
            Self::Running {
                default_password: true,
                ..
            } => Some(
                "Admin password is still the default \u{201c}admin\u{201d}: change it in the console",
            ),
            _ => None,
        }
    }

    /// The window title: product name, state and the warning.
    pub fn window_title(&self) -> String {
        let mut title = format!("Claude API Server \u{2014} {}", self.summary());
        if self.password_warning().is_some() {
            title.push_str(" \u{2014} \u{26a0} default admin password");
        }
        title
    }
}

/// `http://127.0.0.1:<port>/v1`, what OpenAI-style clients take as their base URL.
pub fn api_base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/v1")
}

/// The console's address.
pub fn console_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_title_shows_health_and_password_warning() {
        let s = Status::Running {
            port: 62311,
            healthy: Some(true),
            default_password: true,
        };
        let title = s.window_title();
        assert!(title.contains("127.0.0.1:62311 (healthy)"), "{title}");
        assert!(title.contains("default admin password"), "{title}");
        let s = Status::Running {
            port: 1,
            healthy: Some(false),
            default_password: false,
        };
        assert!(s.window_title().contains("NOT healthy"));
        assert!(!s.window_title().contains("admin password"));
        assert_eq!(s.password_warning(), None);
    }

    #[test]
    fn failed_status_serializes_for_the_status_page() {
        let s = Status::Failed {
            port: 8080,
            message: "port 8080 is busy".into(),
            port_busy: true,
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["state"], "failed");
        assert_eq!(v["port"], 8080);
        assert_eq!(v["port_busy"], true);
        assert_eq!(s.summary(), "Gateway failed: port 8080 is busy");
        assert!(!s.is_running());
    }

    #[test]
    fn urls_are_loopback() {
        assert_eq!(api_base_url(62311), "http://127.0.0.1:62311/v1");
        assert_eq!(console_url(5), "http://127.0.0.1:5/");
    }
}
