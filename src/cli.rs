//! Command-line definitions. The key is never an argument: it comes from stdin or a no-echo prompt.

use crate::app::Theme;
use crate::domain::{CompanyId, Environment};
use crate::gateway::listen::Listen;
use crate::store::StoreChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

const AFTER_HELP: &str = "\
Exit codes (monitoring-plugin style):
  0  ok        the key is active
  1  warning   active, but the key expires within 14 days, or its scopes could not be verified
  2  critical  not active: the operator must act (rejected key, missing scopes, inactive
               installation, company mismatch, no key, ...)
  3  unknown   could not tell: Pleo unreachable, server error, rate limited, storage or
               usage error

The key is read from standard input (or a no-echo prompt on a terminal), never from the
command line. PLEO_API_KEY in the environment supplies a key for one run without storing it.";

/// The options every command that uses a home takes, before or after the command's name.
const GLOBAL: &str = "Global options";
/// The options of `pleo-keys` alone.
const DASHBOARD: &str = "Dashboard options";

#[derive(Debug, Parser)]
#[command(
    name = "pleo-keys",
    version = crate::VERSION_LONG,
    about = "Receive, activate, check and replace a Pleo Standalone API Key",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Keep config, state, audit log and the encrypted key under DIR instead of the XDG folders.
    #[arg(long, global = true, help_heading = GLOBAL, env = "PLEO_KEYS_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Which Pleo: production or staging. Keys only work in the environment that created them.
    #[arg(long = "env", global = true, help_heading = GLOBAL, env = "PLEO_KEYS_ENV", value_enum)]
    pub environment: Option<Environment>,

    /// Talk to this base URL instead (https, or http to this machine only).
    #[arg(long, global = true, help_heading = GLOBAL, env = "PLEO_KEYS_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Where the key is kept: the OS keyring, an encrypted file, or auto (keyring when usable).
    #[arg(long, global = true, help_heading = GLOBAL, env = "PLEO_KEYS_SECRET_STORE", value_enum)]
    pub secret_store: Option<StoreChoice>,

    /// A scope the integration needs (repeatable). Default: the export integration's set.
    #[arg(long = "require-scope", global = true, help_heading = GLOBAL, value_name = "SCOPE")]
    pub require_scope: Vec<String>,

    /// Open the dashboard against a built-in fake Pleo, with a throw-away home and an in-memory
    /// key store. Before a command (`pleo-keys --sandbox check`), runs that command against it.
    #[arg(long, help_heading = DASHBOARD)]
    pub sandbox: bool,

    /// Dashboard colours. Without it: `theme` in the config file; else a non-empty NO_COLOR
    /// selects mono; else a light terminal (COLORFGBG, or the terminal's answer when asked)
    /// selects light.
    #[arg(long, value_enum, value_name = "THEME", env = "PLEO_KEYS_THEME", help_heading = DASHBOARD)]
    pub theme: Option<Theme>,

    /// How often the dashboard checks the key with Pleo, e.g. "5m" (30 s to 24 h; a value
    /// outside is moved into bounds, with a note). Default: revalidate_every in the config
    /// file, else 5m.
    #[arg(long, value_name = "DUR", value_parser = parse_every, help_heading = DASHBOARD)]
    pub revalidate_every: Option<Duration>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enter a new key (stdin or prompt) and activate it; it is stored only if activation passes.
    SetKey(SetKeyArgs),
    /// Check the key with Pleo now; updates the state and the audit log.
    Check(CheckArgs),
    /// Activate the stored key again (after an inactive installation, or to confirm a company).
    Reactivate(ReactivateArgs),
    /// Show what is stored, without any network call.
    Status(JsonArg),
    /// The recent checks (verdict, latency, key) and the uptime over 24 h and 7 days.
    History(HistoryArgs),
    /// The audit log: who did what to which key, and when.
    Audit(AuditArgs),
    /// Record or correct the key's expiry date (as Pleo shows it) without entering the key.
    SetExpiry(SetExpiryArgs),
    /// Change the passphrase of the encrypted key file.
    Passphrase(JsonArg),
    /// Remove the key and the state (audited).
    Forget(ForgetArgs),
    /// Serve the integration's calls to Pleo with the stored key: a local gateway, gated by the
    /// key's lifecycle and scoped to the connected company.
    Proxy(ProxyArgs),
    /// Run a program with the key in its environment (PLEO_API_KEY, PLEO_COMPANY_ID,
    /// PLEO_API_BASE_URL), only while the integration is active.
    Exec(ExecArgs),
    /// Make one call to Pleo with the stored key, scoped like the proxy (like `gh api`).
    Api(ApiArgs),
    /// Run the built-in fake Pleo in the foreground and print its URL, demo keys and switches.
    ///
    /// It keeps nothing and uses no home: the global options do not apply.
    Sandbox(SandboxArgs),
    /// Print a shell completion script.
    ///
    /// For example `pleo-keys completions bash >
    /// ~/.local/share/bash-completion/completions/pleo-keys`. The global options do not apply.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    ///
    /// For example `pleo-keys man > ~/.local/share/man/man1/pleo-keys.1`. The global options do
    /// not apply.
    Man,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many of the newest checks to list.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Print one JSON object (the checks, uptime_24h, uptime_7d) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events newer than this, e.g. 30m, 24h, 7d.
    #[arg(long, value_name = "DUR", value_parser = parse_since)]
    pub since: Option<Duration>,
    /// Print one JSON object (the events, newest last) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Where to listen: 127.0.0.1:PORT (default 127.0.0.1:8790; :0 picks a free port),
    /// [::1]:PORT or unix:PATH. This machine only.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<Listen>,
    /// Make a new local token (proxy.token) before starting; clients with the old one get 401.
    #[arg(long)]
    pub rotate_token: bool,
    /// How often the proxy checks the key with Pleo besides on a 401, e.g. "5m" (30 s to 24 h;
    /// a value outside is moved into bounds, with a note). Default: revalidate_every in the
    /// config file, else 5m.
    #[arg(long, value_name = "DUR", value_parser = parse_every)]
    pub revalidate_every: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The program and its arguments, after `--`.
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The path, like /v3/export-jobs (a query may follow).
    #[arg(value_name = "PATH")]
    pub path: String,
    /// The HTTP method (default GET, or POST when fields or an input are given).
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,
    /// A field: a query parameter for GET and DELETE, a JSON body field otherwise.
    #[arg(short = 'f', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// The request body from a file, or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print one JSON object instead of the human report (`--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// `human`, `json`, or `prometheus` (the lifecycle series, for node_exporter's textfile
    /// collector).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

impl CheckArgs {
    pub fn format(&self) -> Format {
        match (self.json, self.format) {
            (true, _) => Format::Json,
            (false, f) => f.unwrap_or(Format::Human),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Prometheus,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SetKeyArgs {
    /// The key's expiry date as shown in Pleo; warnings start 14 days before it.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub expires: Option<jiff::civil::Date>,
    #[command(flatten)]
    pub binding: ReactivateArgs,
}

/// `reactivate`'s flags, which `set-key` shares: which company, and whether a change is wanted.
#[derive(Debug, Args)]
pub struct ReactivateArgs {
    /// For an organisation-level key: the company to bind to.
    #[arg(long, value_name = "ID", value_parser = parse_company_id)]
    pub company: Option<CompanyId>,
    /// Accept a key that belongs to a different company than the connected one.
    #[arg(long)]
    pub confirm_company_change: bool,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
}

impl ReactivateArgs {
    pub fn options(
        &self,
        expires_on: Option<jiff::civil::Date>,
    ) -> crate::lifecycle::ReplaceOptions {
        crate::lifecycle::ReplaceOptions {
            expires_on,
            company: self.company,
            company_change: if self.confirm_company_change {
                crate::lifecycle::CompanyChange::Confirm
            } else {
                crate::lifecycle::CompanyChange::Refuse
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct SetExpiryArgs {
    /// The expiry date shown in Pleo (YYYY-MM-DD), or `none` to clear it.
    #[arg(value_name = "YYYY-MM-DD|none", value_parser = parse_expiry)]
    pub date: Expiry,
    /// Print one JSON object instead of a sentence.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    On(jiff::civil::Date),
    None,
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Print one JSON object instead of sentences.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Print the URL, demo keys and switches as one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn parse_every(s: &str) -> Result<Duration, String> {
    crate::settings::parse_interval(s)
}

/// A look-back for `--since`: what `parse_every` takes, and days and weeks (of 24 h).
fn parse_since(s: &str) -> Result<Duration, String> {
    crate::settings::parse_interval(s).or_else(|e| {
        let span: jiff::Span = s.trim().parse().map_err(|_| e.clone())?;
        span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .ok()
            .filter(|d| d.is_positive())
            .and_then(|d| Duration::try_from(d).ok())
            .ok_or(e)
    })
}

fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    s.trim().parse::<jiff::civil::Date>().map_err(|_| {
        format!(
            "{:?} is not a date: use YYYY-MM-DD, e.g. 2027-03-31",
            crate::domain::sanitize(s, 40)
        )
    })
}

fn parse_expiry(s: &str) -> Result<Expiry, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(Expiry::None);
    }
    parse_date(s).map(Expiry::On)
}

fn parse_company_id(s: &str) -> Result<CompanyId, String> {
    CompanyId::parse(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn rejects_bad_dates_and_company_ids() {
        assert!(Cli::try_parse_from(["pleo-keys", "set-key", "--expires", "31/12/2026"]).is_err());
        assert!(Cli::try_parse_from(["pleo-keys", "set-key", "--expires", "2026-02-30"]).is_err());
        assert!(Cli::try_parse_from(["pleo-keys", "set-key", "--company", "acme"]).is_err());
        assert!(Cli::try_parse_from(["pleo-keys", "set-expiry", "2025-13-40"]).is_err());
        let ok = Cli::try_parse_from([
            "pleo-keys",
            "set-key",
            "--expires",
            "2027-03-31",
            "--company",
            "11111111-1111-4111-8111-111111111111",
        ]);
        assert!(ok.is_ok());
        let none = Cli::try_parse_from(["pleo-keys", "set-expiry", "none"]).unwrap();
        assert!(matches!(
            none.command,
            Some(Command::SetExpiry(SetExpiryArgs {
                date: Expiry::None,
                ..
            }))
        ));
    }

    #[test]
    fn since_takes_minutes_hours_days_and_weeks() {
        assert_eq!(parse_since("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_since("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_since("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_since(" 2w "), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_since("-1d").is_err());
        assert!(parse_since("0d").is_err());
        assert!(parse_since("soon").unwrap_err().contains("not a duration"));
    }

    /// Every flag and positional of every command says what it is for, and `--sandbox` (the
    /// dashboard's) shows only at the top.
    #[test]
    fn every_argument_has_help_and_sandbox_is_top_level_only() {
        fn walk(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                assert!(
                    arg.get_help().is_some(),
                    "{path} {} has no help text",
                    arg.get_id()
                );
                if !path.is_empty() {
                    assert_ne!(arg.get_id(), "sandbox", "{path} lists --sandbox");
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        walk(&cmd, "");
        assert!(cmd.get_arguments().any(|a| a.get_id() == "sandbox"));
    }

    #[test]
    fn the_version_names_the_commit() {
        let v = Cli::command().render_version();
        assert!(v.starts_with("pleo-keys "), "{v}");
        assert!(v.contains(env!("CARGO_PKG_VERSION")), "{v}");
        let commit = v
            .trim()
            .rsplit_once('(')
            .and_then(|(_, c)| c.strip_suffix(')'))
            .unwrap_or_default();
        assert!(!commit.is_empty(), "{v}");
        assert_eq!(commit, crate::BUILD_COMMIT);
    }

    #[test]
    fn there_is_no_way_to_pass_the_key_as_an_argument() {
        assert!(Cli::try_parse_from(["pleo-keys", "set-key", "pls_00_11"]).is_err());
        assert!(Cli::try_parse_from(["pleo-keys", "set-key", "--key", "pls_00_11"]).is_err());
    }
}
