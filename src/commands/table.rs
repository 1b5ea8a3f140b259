//! A plain aligned table for the terminal: columns as wide as their widest cell (in characters),
//! two spaces apart, no trailing blanks.

pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<usize>,
}

impl Table {
    pub fn new<const N: usize>(header: [&str; N]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            right: Vec::new(),
        }
    }

    /// Numbers read better aligned to the right.
    pub fn align_right(&mut self, column: usize) {
        self.right.push(column);
    }

    pub fn row<const N: usize>(&mut self, cells: [String; N]) {
        self.rows.push(cells.into());
    }

    /// Every line starts with `indent` and ends with a newline.
    pub fn render(&self, indent: &str) -> String {
        let columns = self.header.len();
        let mut widths = vec![0; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::from(indent);
            for (i, (cell, &w)) in row.iter().zip(&widths).enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right.contains(&i) {
                    line.push_str(&format!("{cell:>w$}"));
                } else {
                    line.push_str(&format!("{cell:<w$}"));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_characters() {
        let mut t = Table::new(["Key", "Latency", "Note"]);
        t.align_right(1);
        t.row(["…21a4 (cb56eed8c825)".into(), "7 ms".into(), "".into()]);
        t.row(["-".into(), "1200 ms".into(), "slow".into()]);
        assert_eq!(
            t.render("  "),
            "  Key                   Latency  Note\n  …21a4 (cb56eed8c825)     7 ms\n  -                     1200 ms  slow\n"
        );
    }
}
