//! A plan author's row filter (`where:` of a recover table): SQL the scripts place inside
//! parentheses, `WHERE (...)`, so it must be one expression that cannot end them, end the
//! statement, or hide what follows it.

use super::lexer::{Kind, tokenize};

/// Why `text` is not one expression the scripts can place in parentheses: the message, and the
/// byte range of `text` it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOneExpression {
    pub message: &'static str,
    pub at: std::ops::Range<usize>,
}

/// Checks that `text` is one expression as far as its tokens tell: something to evaluate, its
/// parentheses and brackets balanced and never closing one opened before it, and no `;`,
/// comment, parameter, psql command or unterminated string or name. Whether the expression
/// means anything, and is boolean, only the server can say (45-recover-preview.sql asks it
/// first).
pub fn one_expression(text: &str) -> Result<(), NotOneExpression> {
    let tokens = tokenize(text);
    let mut open: Vec<(char, std::ops::Range<usize>)> = Vec::new();
    let mut meaningful = false;
    for token in &tokens {
        let refuse = |message| {
            Err(NotOneExpression {
                message,
                at: token.span.clone(),
            })
        };
        match token.kind {
            Kind::Whitespace => continue,
            Kind::Comment => return refuse("a comment would hide the rest of the statement"),
            Kind::Unterminated => return refuse("a string or quoted name is not closed"),
            Kind::Meta => return refuse("a backslash command is psql's, not SQL"),
            Kind::Param => return refuse("a parameter has no value in the scripts"),
            Kind::Punct => match token.text(text) {
                ";" => return refuse("a ; would end the statement"),
                "(" => open.push((')', token.span.clone())),
                "[" => open.push((']', token.span.clone())),
                close @ (")" | "]") => match open.pop() {
                    Some((expected, _)) if close.starts_with(expected) => {}
                    Some(_) => return refuse("closes a bracket of the other kind"),
                    None => return refuse("closes a parenthesis the expression did not open"),
                },
                _ => {}
            },
            _ => {}
        }
        meaningful = true;
    }
    if let Some((_, at)) = open.pop() {
        return Err(NotOneExpression {
            message: "is never closed",
            at,
        });
    }
    if !meaningful {
        return Err(NotOneExpression {
            message: "there is no expression",
            at: 0..text.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_the_scripts_can_hold() {
        for ok in [
            "rental_date >= '2022-05-01'",
            "customer_id IN (1, 2, 3) AND (return_date IS NULL OR staff_id = 2)",
            "note <> ';' AND note NOT LIKE '%--%' AND \"odd;name\" = 1",
            "tags[1] = 'x' AND $$a;b$$ <> note",
            "EXISTS (SELECT FROM public.customer c WHERE c.customer_id = rental.customer_id)",
            "ARRAY[1, 2] @> ARRAY[amount::int]",
        ] {
            assert_eq!(one_expression(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn what_could_escape_the_parentheses_or_the_statement() {
        for (bad, message, at) in [
            (
                "true); DROP TABLE x; SELECT (1",
                "closes a parenthesis the expression did not open",
                "true)".len() - 1,
            ),
            ("a = 1; DELETE FROM t", "a ; would end the statement", 5),
            (
                "a = 1 -- and the rest",
                "a comment would hide the rest of the statement",
                6,
            ),
            (
                "a = 1 /* x */",
                "a comment would hide the rest of the statement",
                6,
            ),
            ("a = 'open", "a string or quoted name is not closed", 4),
            ("(a = 1", "is never closed", 0),
            ("a[1) = 2", "closes a bracket of the other kind", 3),
            ("a = $1", "a parameter has no value in the scripts", 4),
            ("a = 1 \\g", "a backslash command is psql's, not SQL", 6),
            ("   ", "there is no expression", 0),
        ] {
            let err = one_expression(bad).expect_err(bad);
            assert_eq!((err.message, err.at.start), (message, at), "{bad}");
        }
    }
}
