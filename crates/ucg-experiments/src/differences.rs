//! Naming the settings in which a folder's recorded run differs from the one a command asks for, down
//! to the leaf (`blocks.0.latent: 5 in the folder, 2 asked`), so that a refused resume says which flag
//! to change instead of listing every candidate.

use serde::Serialize;
use serde_json::Value;

/// The settings in which `recorded` (the folder's) and `asked` (the command's) differ, each as
/// `path: <recorded> in the folder, <asked> asked`, in key order; the paths join object keys and
/// array indices with dots. Values that cannot be written as JSON compare as one unnamed difference.
pub fn setting_differences<T: Serialize, U: Serialize>(recorded: &T, asked: &U) -> Vec<String> {
    match (serde_json::to_value(recorded), serde_json::to_value(asked)) {
        (Ok(a), Ok(b)) => {
            let mut out = Vec::new();
            walk("", &a, &b, &mut out);
            out
        }
        _ => vec!["(settings that cannot be compared)".to_string()],
    }
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => walk(&at(k), v, w, out),
                    None => out.push(format!(
                        "{}: {} in the folder, absent here",
                        at(k),
                        short(v)
                    )),
                }
            }
            for (k, w) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(format!(
                    "{}: absent in the folder, {} asked",
                    at(k),
                    short(w)
                ));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                walk(&at(&i.to_string()), v, w, out);
            }
        }
        _ if a != b => {
            let name = if path.is_empty() { "settings" } else { path };
            out.push(format!(
                "{name}: {} in the folder, {} asked",
                short(a),
                short(b)
            ));
        }
        _ => {}
    }
}

/// A value as JSON text, cut to 60 characters.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_are_named_down_to_the_leaf() {
        let recorded =
            json!({"seed": 1, "blocks": [{"latent": 5, "epochs": 2}], "eval": {"k": 50}});
        let asked = json!({"seed": 1, "blocks": [{"latent": 2, "epochs": 2}], "eval": {"k": 50}});
        assert_eq!(
            setting_differences(&recorded, &asked),
            ["blocks.0.latent: 5 in the folder, 2 asked"]
        );
        let more = json!({"seed": 2, "blocks": [], "eval": {"k": 50}, "new": true});
        assert_eq!(
            setting_differences(&recorded, &more),
            [
                "blocks: [{\"epochs\":2,\"latent\":5}] in the folder, [] asked",
                "seed: 1 in the folder, 2 asked",
                "new: absent in the folder, true asked"
            ]
        );
        assert!(setting_differences(&recorded, &recorded).is_empty());
    }
}
