//! Reading the provider's server-rendered pages: a form's action, its hidden inputs and its
//! first named button, by plain text search (the pages are the providers' own, not arbitrary
//! HTML).

/// The text from after `marker` to the next `"` (an attribute value), `&amp;` decoded.
pub(crate) fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// Every `<input type="hidden" name=… value=…>` of a page, in order.
pub(crate) fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|tag| {
            let name = attribute_after(tag, "name=\"")?;
            let value = attribute_after(tag, "value=\"").unwrap_or_default();
            Some((name, value))
        })
        .collect()
}

/// The name and value of a page's first submit button that has them.
pub(crate) fn first_button(html: &str) -> Option<(String, String)> {
    html.split("<button").skip(1).find_map(|tag| {
        let tag = &tag[..tag.find('>')?];
        Some((
            attribute_after(tag, "name=\"")?,
            attribute_after(tag, "value=\"")?,
        ))
    })
}

/// The value of a hidden input in a server-rendered form.
pub(crate) fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dev-idp's login form (crates/dev-idp/src/html.rs), as it renders it.
    const DEV_IDP: &str = "<form method=\"post\" action=\"http://localhost:7000/login\">\
<input type=\"hidden\" name=\"request\" value=\"r1&amp;x\">\
<label>Username <input name=\"username\" value=\"\"></label>\
<label>Password <input type=\"password\" name=\"password\"></label>\
<button type=\"submit\" name=\"action\" value=\"login\">Sign in</button> \
<button type=\"submit\" name=\"action\" value=\"deny\" formnovalidate>Cancel</button></form>";

    /// oidc-provider's logout confirmation (its default `logoutSource`).
    const LOGOUT: &str = "<form id=\"op.logoutForm\" method=\"post\" action=\"/session/end/confirm\">\
<input type=\"hidden\" name=\"xsrf\" value=\"abc\"/></form>\
<button autofocus type=\"submit\" form=\"op.logoutForm\" value=\"yes\" name=\"logout\">Yes</button>";

    #[test]
    fn a_forms_action_hidden_inputs_and_first_button_are_read() {
        assert_eq!(
            attribute_after(DEV_IDP, "<form method=\"post\" action=\"").as_deref(),
            Some("http://localhost:7000/login")
        );
        assert_eq!(
            hidden_inputs(DEV_IDP),
            [("request".to_owned(), "r1&x".to_owned())]
        );
        assert_eq!(hidden(DEV_IDP, "request").as_deref(), Some("r1&x"));
        assert_eq!(
            first_button(DEV_IDP),
            Some(("action".to_owned(), "login".to_owned()))
        );
    }

    #[test]
    fn attributes_in_another_order_and_self_closing_inputs_are_read() {
        assert_eq!(
            hidden_inputs(LOGOUT),
            [("xsrf".to_owned(), "abc".to_owned())]
        );
        assert_eq!(
            first_button(LOGOUT),
            Some(("logout".to_owned(), "yes".to_owned()))
        );
        assert_eq!(first_button("<button>no name</button>"), None);
    }
}
