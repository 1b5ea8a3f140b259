//! `completions` and `man`: generated from the clap definitions, so they never drift from the
//! commands. Neither needs a home.

use super::EXIT_UNKNOWN;
use super::output;
use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};
use std::io::Write;

const NAME: &str = "pleo-keys";

/// What roff renders before each piece (defines `\*(Aq`); kept once, after the title.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

pub fn completions(args: &CompletionsArgs) -> i32 {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, NAME, &mut script);
    output::out_bytes(&script);
    0
}

pub fn man() -> i32 {
    match man_page() {
        Ok(page) => {
            output::out_bytes(&page);
            0
        }
        Err(e) => {
            output::err(&format!("could not render the man page: {e}"));
            EXIT_UNKNOWN
        }
    }
}

/// One page, pleo-keys(1): the global options, then every command with its own options (no
/// pleo-keys-COMMAND(1) pages to install), then the exit codes.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let man = Man::new(cmd.clone());
    let mut title = Vec::new();
    man.render_title(&mut title)?;
    let mut body = Vec::new();
    man.render_name_section(&mut body)?;
    man.render_synopsis_section(&mut body)?;
    man.render_description_section(&mut body)?;
    man.render_options_section(&mut body)?;

    let mut commands = Roff::new();
    commands.control("SH", ["COMMANDS"]);
    commands.to_writer(&mut body)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{NAME} {}", sub.get_name());
        let mut sub = sub.clone().bin_name(&name).disable_help_flag(true);
        let usage = sub.render_usage().to_string();
        let mut head = Roff::new();
        head.control("SS", [name.as_str()]);
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            head.text([roman(about.to_string())]);
        }
        head.control("PP", []);
        head.text([roman(usage.trim().trim_start_matches("Usage: "))]);
        head.to_writer(&mut body)?;
        let mut options = Vec::new();
        Man::new(sub).render_options_section(&mut options)?;
        // The options belong to this command's subsection, not a section of their own.
        let options = String::from_utf8_lossy(&options).replace(".SH OPTIONS\n", ".PP\n");
        body.write_all(options.as_bytes())?;
    }

    if let Some(after) = cmd.get_after_help() {
        let mut exit = Roff::new();
        exit.control("SH", ["EXIT STATUS"]);
        exit.control("nf", []);
        for line in after.to_string().lines() {
            exit.text([roman(line)]);
        }
        exit.control("fi", []);
        exit.to_writer(&mut body)?;
    }
    man.render_version_section(&mut body)?;

    let title = String::from_utf8_lossy(&title).replace(PREAMBLE, "");
    let body = String::from_utf8_lossy(&body).replace(PREAMBLE, "");
    Ok(format!("{title}{PREAMBLE}{body}").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_has_every_command_and_its_options() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.starts_with(".TH pleo-keys 1"), "{}", &page[..80]);
        assert_eq!(page.matches(".ds Aq").count(), 2, "one preamble");
        for needle in [
            ".SS \"pleo-keys history\"",
            ".SS \"pleo-keys audit\"",
            "\\-\\-since",
            "\\-\\-confirm\\-company\\-change",
            ".SH \"EXIT STATUS\"",
        ] {
            assert!(page.contains(needle), "{needle} missing");
        }
        assert!(!page.contains(".SH OPTIONS\n.SH"), "no empty sections");
    }
}
