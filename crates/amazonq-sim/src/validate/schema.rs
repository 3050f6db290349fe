//! The §4.2 shape check (rule `schema`): required members present with the right JSON types.
//! Value-level constraints (enums, lengths, pairing) belong to the numbered rules, not here.

use serde_json::{Map, Value};

type R = Result<(), String>;

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{path} must be an object"))
}

fn req_str(o: &Map<String, Value>, key: &str, path: &str) -> R {
    match o.get(key) {
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(format!("{path}.{key} must be a string")),
        None => Err(format!("{path}.{key} is required")),
    }
}

fn opt_str(o: &Map<String, Value>, key: &str, path: &str) -> R {
    match o.get(key) {
        None | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(format!("{path}.{key} must be a string")),
    }
}

fn opt_array<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a [Value], String> {
    match o.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(format!("{path}.{key} must be a list")),
    }
}

/// Checks one `ChatMessage` union value.
fn message(v: &Value, path: &str) -> R {
    let o = obj(v, path)?;
    if o.len() != 1 {
        return Err(format!(
            "{path} must have exactly one of userInputMessage / assistantResponseMessage"
        ));
    }
    if let Some(u) = o.get("userInputMessage") {
        return user(u, &format!("{path}.userInputMessage"));
    }
    if let Some(a) = o.get("assistantResponseMessage") {
        return assistant(a, &format!("{path}.assistantResponseMessage"));
    }
    Err(format!("{path} has an unknown union member"))
}

/// Runs `check` on each object of the optional list `o[key]`, with its path `<path>.<key>[i]`.
fn each_obj(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    check: fn(&Map<String, Value>, &str) -> R,
) -> R {
    for (i, v) in opt_array(o, key, path)?.iter().enumerate() {
        let p = format!("{path}.{key}[{i}]");
        check(obj(v, &p)?, &p)?;
    }
    Ok(())
}

fn user(v: &Value, path: &str) -> R {
    let o = obj(v, path)?;
    req_str(o, "content", path)?;
    opt_str(o, "modelId", path)?;
    opt_str(o, "origin", path)?;
    opt_str(o, "userIntent", path)?;
    each_obj(o, "images", path, image)?;
    let Some(ctx) = o.get("userInputMessageContext") else {
        return Ok(());
    };
    let cp = format!("{path}.userInputMessageContext");
    let c = obj(ctx, &cp)?;
    each_obj(c, "tools", &cp, tool)?;
    each_obj(c, "toolResults", &cp, tool_result)
}

fn image(io: &Map<String, Value>, p: &str) -> R {
    req_str(io, "format", p)?;
    let sp = format!("{p}.source");
    let src = obj(io.get("source").unwrap_or(&Value::Null), &sp)?;
    if src.len() != 1 || !src.contains_key("bytes") {
        return Err(format!("{p}.source must be {{\"bytes\": …}}"));
    }
    req_str(src, "bytes", &sp)
}

fn tool(to: &Map<String, Value>, p: &str) -> R {
    if to.len() != 1 {
        return Err(format!(
            "{p} must have exactly one of toolSpecification / cachePoint"
        ));
    }
    if let Some(spec) = to.get("toolSpecification") {
        let sp = format!("{p}.toolSpecification");
        let so = obj(spec, &sp)?;
        req_str(so, "name", &sp)?;
        opt_str(so, "description", &sp)?;
        let is = obj(
            so.get("inputSchema").unwrap_or(&Value::Null),
            &format!("{sp}.inputSchema"),
        )?;
        if !is.contains_key("json") {
            return Err(format!("{sp}.inputSchema.json is required"));
        }
    } else if !to.contains_key("cachePoint") {
        return Err(format!("{p} has an unknown union member"));
    }
    Ok(())
}

fn tool_result(ro: &Map<String, Value>, p: &str) -> R {
    req_str(ro, "toolUseId", p)?;
    match ro.get("status") {
        None => {}
        Some(Value::String(s)) if s == "success" || s == "error" => {}
        Some(_) => return Err(format!("{p}.status must be success|error")),
    }
    let Some(Value::Array(blocks)) = ro.get("content") else {
        return Err(format!("{p}.content must be a list"));
    };
    for (j, b) in blocks.iter().enumerate() {
        let bp = format!("{p}.content[{j}]");
        let bo = obj(b, &bp)?;
        let ok = bo.len() == 1
            && (matches!(bo.get("text"), Some(Value::String(_))) || bo.contains_key("json"));
        if !ok {
            return Err(format!(
                "{bp} must be {{\"text\": string}} or {{\"json\": …}}"
            ));
        }
    }
    Ok(())
}

fn assistant(v: &Value, path: &str) -> R {
    let o = obj(v, path)?;
    req_str(o, "content", path)?;
    opt_str(o, "messageId", path)?;
    each_obj(o, "toolUses", path, tool_use)
}

fn tool_use(uo: &Map<String, Value>, p: &str) -> R {
    req_str(uo, "toolUseId", p)?;
    req_str(uo, "name", p)?;
    match uo.get("input") {
        Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(format!("{p}.input must be a JSON object")),
        None => Err(format!("{p}.input is required")),
    }
}

/// Checks the whole request body.
pub fn check(body: &Value) -> R {
    let root = obj(body, "body")?;
    opt_str(root, "profileArn", "body")?;
    let cs = obj(
        root.get("conversationState")
            .ok_or("conversationState is required")?,
        "conversationState",
    )?;
    for k in [
        "conversationId",
        "workspaceId",
        "customizationArn",
        "agentContinuationId",
        "agentTaskType",
    ] {
        opt_str(cs, k, "conversationState")?;
    }
    req_str(cs, "chatTriggerType", "conversationState")?;
    for (i, m) in opt_array(cs, "history", "conversationState")?
        .iter()
        .enumerate()
    {
        message(m, &format!("history[{i}]"))?;
    }
    message(
        cs.get("currentMessage")
            .ok_or("conversationState.currentMessage is required")?,
        "currentMessage",
    )
}
