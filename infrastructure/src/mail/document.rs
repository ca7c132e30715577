//! A message's content as blocks, rendered once to plain text and once to HTML, so both parts
//! always say the same and every piece of user data is escaped in one place.

use crate::html::escape;
use domain::values::Language;

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(String),
    /// Label and value pairs: request number, procedure, date...
    Fields(Vec<(String, String)>),
    List(Vec<String>),
    /// A link with the text to show; in plain text the address follows the text.
    Link {
        text: String,
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub subject: String,
    pub greeting: String,
    pub blocks: Vec<Block>,
    pub signature: String,
}

impl Content {
    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.greeting);
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => out.push_str(text),
                Block::Fields(fields) => {
                    let lines: Vec<String> = fields
                        .iter()
                        .map(|(label, value)| format!("{label}: {value}"))
                        .collect();
                    out.push_str(&lines.join("\n"));
                }
                Block::List(items) => {
                    let lines: Vec<String> = items.iter().map(|i| format!("- {i}")).collect();
                    out.push_str(&lines.join("\n"));
                }
                Block::Link { text, url } => {
                    out.push_str(text);
                    out.push_str(":\n");
                    out.push_str(url);
                }
            }
            out.push_str("\n\n");
        }
        out.push_str(&self.signature);
        out.push('\n');
        out
    }

    pub fn html(&self, language: Language) -> String {
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n<p>{}</p>\n",
            language.as_str(),
            escape(&self.subject),
            escape(&self.greeting)
        );
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => {
                    out.push_str(&format!("<p>{}</p>\n", escape(text)));
                }
                Block::Fields(fields) => {
                    out.push_str("<table>\n");
                    for (label, value) in fields {
                        out.push_str(&format!(
                            "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
                            escape(label),
                            escape(value)
                        ));
                    }
                    out.push_str("</table>\n");
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        out.push_str(&format!("<li>{}</li>\n", escape(item)));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Link { text, url } => {
                    out.push_str(&format!(
                        "<p><a href=\"{}\">{}</a></p>\n",
                        escape(url),
                        escape(text)
                    ));
                }
            }
        }
        out.push_str(&format!(
            "<p>{}</p>\n</body>\n</html>\n",
            escape(&self.signature)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Content {
        Content {
            subject: "Cita <1>".into(),
            greeting: "Hola, <script>alert(1)</script>:".into(),
            blocks: vec![
                Block::Fields(vec![("Trámite".into(), "A & B".into())]),
                Block::List(vec!["\"DNI\"".into()]),
                Block::Link {
                    text: "Gestionar".into(),
                    url: "https://x.example/es/manage/1#a'b".into(),
                },
            ],
            signature: "Ayuntamiento".into(),
        }
    }

    #[test]
    fn html_escapes_every_piece_of_text() {
        let html = content().html(Language::Es);
        assert!(!html.contains("<script>"));
        assert!(html.contains("Hola, &lt;script&gt;alert(1)&lt;/script&gt;:"));
        assert!(html.contains("<td>A &amp; B</td>"));
        assert!(html.contains("<li>&quot;DNI&quot;</li>"));
        assert!(html.contains("href=\"https://x.example/es/manage/1#a&#39;b\""));
        assert!(html.contains("<html lang=\"es\">"));
    }

    #[test]
    fn plain_text_keeps_text_as_written_and_shows_link_addresses() {
        let text = content().text();
        assert!(text.starts_with("Hola, <script>alert(1)</script>:\n\n"));
        assert!(text.contains("Trámite: A & B\n"));
        assert!(text.contains("- \"DNI\"\n"));
        assert!(text.contains("Gestionar:\nhttps://x.example/es/manage/1#a'b\n"));
    }
}
