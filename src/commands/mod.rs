//! The CLI commands: each resolves its settings, runs one procedure and returns the exit code.

mod admin;
mod api;
mod audit;
mod docs;
mod exec;
mod history;
mod keys;
pub mod output;
mod prompt;
mod proxy;
pub mod report;
mod sandbox;
pub mod setup;
mod status;
mod table;

use crate::app::Theme;
use crate::cli::{Cli, Command};
use crate::lifecycle::ReplaceOptions;
use crate::sandbox::Sandbox;
use crate::secret::ApiKey;
use std::io::IsTerminal;

/// Exit code for usage, configuration and other errors that leave the state unknown.
pub const EXIT_UNKNOWN: i32 = 3;

pub async fn run(cli: Cli) -> i32 {
    // These need no home, no settings and no key store.
    match &cli.command {
        Some(Command::Sandbox(args)) => return sandbox::serve(args).await,
        Some(Command::Completions(args)) => return docs::completions(args),
        Some(Command::Man) => return docs::man(),
        _ => {}
    }
    // `--sandbox`: an in-process fake Pleo, alive for this run only.
    let sandbox = if cli.sandbox {
        match Sandbox::start(0).await {
            Ok(s) => Some(s),
            Err(e) => {
                output::err(&format!("could not start the sandbox on 127.0.0.1: {e}"));
                return EXIT_UNKNOWN;
            }
        }
    } else {
        None
    };
    let setup = match setup::Setup::new(&cli, sandbox.as_ref()) {
        Ok(s) => s,
        Err(msg) => {
            output::err(&msg);
            return EXIT_UNKNOWN;
        }
    };
    match &cli.command {
        Some(Command::SetKey(args)) => keys::set_key(&setup, args).await,
        Some(Command::Check(args)) => keys::check(&setup, args.format()).await,
        Some(Command::Reactivate(args)) => keys::reactivate(&setup, args).await,
        Some(Command::Status(args)) => status::run(&setup, args.json),
        Some(Command::History(args)) => history::run(&setup, args),
        Some(Command::Audit(args)) => audit::run(&setup, args),
        Some(Command::SetExpiry(args)) => admin::set_expiry(&setup, args).await,
        Some(Command::Passphrase(args)) => admin::passphrase(&setup, args.json).await,
        Some(Command::Forget(args)) => admin::forget(&setup, args).await,
        Some(Command::Proxy(args)) => proxy::run(&setup, args).await,
        Some(Command::Exec(args)) => exec::run(&setup, args).await,
        Some(Command::Api(args)) => api::run(&setup, args).await,
        // Handled above.
        Some(Command::Sandbox(_) | Command::Completions(_) | Command::Man) => EXIT_UNKNOWN,
        None => no_command(&cli, &setup, sandbox.as_ref()).await,
    }
}

/// `pleo-keys` alone: the dashboard on a terminal, `status` otherwise.
async fn no_command(cli: &Cli, setup: &setup::Setup, sandbox: Option<&Sandbox>) -> i32 {
    let engine = &setup.engine;
    if sandbox.is_some() {
        // Start already connected: seed the sandbox's healthy key.
        let key = match ApiKey::parse(crate::sandbox::HEALTHY_KEY) {
            Ok((k, _)) => k,
            Err(e) => {
                output::err(&format!("the sandbox's demo key is malformed: {e}"));
                return EXIT_UNKNOWN;
            }
        };
        let seeded = engine.replace_key(key, &ReplaceOptions::default()).await;
        if !seeded.committed {
            return keys::print(setup, &seeded, report::Command::SetKey, false);
        }
    }
    if std::io::stdout().is_terminal() {
        return crate::runtime::run_dashboard(setup, sandbox, theme(cli, setup).await).await;
    }
    if sandbox.is_none() {
        return status::run(setup, false);
    }
    let outcome = engine.check().await;
    let code = keys::print(setup, &outcome, report::Command::Check, false);
    output::outln(
        "\nThis ran against a built-in fake Pleo with a throw-away home. Try `pleo-keys sandbox` for a\nlong-running one with demo keys and switches, and `pleo-keys --help` for the commands.",
    );
    code
}

/// `--theme` (or PLEO_KEYS_THEME) wins, then `theme` in the config file (no-color.org: both
/// override NO_COLOR); then a non-empty NO_COLOR selects mono; then the terminal's background
/// decides between light and the default: from COLORFGBG when the terminal sets it, else by
/// asking the terminal (`ask`, only when nothing before decided).
fn choose_theme(
    flag: Option<Theme>,
    config: Option<Theme>,
    no_color: bool,
    colorfgbg: Option<&str>,
    ask: impl FnOnce() -> Option<bool>,
) -> Theme {
    if let Some(theme) = flag.or(config) {
        return theme;
    }
    if no_color {
        return Theme::Mono;
    }
    match light_background(colorfgbg).or_else(ask) {
        Some(true) => Theme::Light,
        _ => Theme::Default,
    }
}

/// On the blocking pool: asking the terminal waits for its answer, up to a second.
async fn theme(cli: &Cli, setup: &setup::Setup) -> Theme {
    let (flag, config) = (cli.theme, setup.settings.config.theme_choice());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colorfgbg = std::env::var("COLORFGBG").ok();
    tokio::task::spawn_blocking(move || {
        choose_theme(
            flag,
            config,
            no_color,
            colorfgbg.as_deref(),
            crate::runtime::background::light_by_query,
        )
    })
    .await
    .unwrap_or(Theme::Default)
}

/// `COLORFGBG` ("15;0" is light text on black), set by rxvt, Konsole, iTerm2 and others: a
/// background of 7 (light grey) or 15 (white) is a light terminal, where yellow washes out.
/// `None` when it is absent or says nothing readable.
fn light_background(colorfgbg: Option<&str>) -> Option<bool> {
    colorfgbg
        .and_then(|v| v.rsplit(';').next())
        .and_then(|bg| bg.trim().parse::<u8>().ok())
        .map(|bg| bg == 7 || bg == 15)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_light_background_is_told_from_colorfgbg() {
        use super::light_background;
        assert_eq!(light_background(Some("0;15")), Some(true));
        assert_eq!(light_background(Some("0;default;7")), Some(true));
        assert_eq!(light_background(Some("15;0")), Some(false));
        // Nothing readable: the terminal is asked instead.
        assert_eq!(light_background(Some("garbage")), None);
        assert_eq!(light_background(None), None);
    }

    #[test]
    fn a_flag_then_the_config_then_no_color_then_the_terminal_choose_the_theme() {
        use super::{Theme, choose_theme};
        let never = || -> Option<bool> { panic!("the terminal was asked") };
        let light = Some("0;15");
        assert_eq!(
            choose_theme(Some(Theme::Dark), Some(Theme::Mono), true, light, never),
            Theme::Dark
        );
        assert_eq!(
            choose_theme(None, Some(Theme::Default), true, light, never),
            Theme::Default,
            "the config file overrides NO_COLOR"
        );
        assert_eq!(choose_theme(None, None, true, light, never), Theme::Mono);
        assert_eq!(choose_theme(None, None, false, light, never), Theme::Light);
        assert_eq!(
            choose_theme(None, None, false, Some("15;0"), never),
            Theme::Default
        );
        assert_eq!(
            choose_theme(None, None, false, None, || Some(true)),
            Theme::Light
        );
        assert_eq!(
            choose_theme(None, None, false, None, || Some(false)),
            Theme::Default
        );
        assert_eq!(
            choose_theme(None, None, false, None, || None),
            Theme::Default
        );
    }
}
