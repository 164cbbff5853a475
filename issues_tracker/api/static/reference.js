// Renders the API's OpenAPI document as a readable page: every operation, its parameters,
// request body and answers, and the schemas they refer to. No external code.
"use strict";

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array" && schema.items) return "array of " + schemaName(schema.items);
  if (Array.isArray(schema.type)) return schema.type.join(" or ");
  if (schema.enum) return (schema.type || "") + " (one of: " + schema.enum.join(", ") + ")";
  return schema.type || "object";
}

function table(headings, rows) {
  const t = element("table");
  const head = t.createTHead().insertRow();
  headings.forEach((h) => head.appendChild(element("th", h)));
  const body = t.createTBody();
  rows.forEach((cells) => {
    const row = body.insertRow();
    cells.forEach((c) => row.appendChild(element("td", c)));
  });
  return t;
}

function render(doc) {
  const main = document.getElementById("reference");
  main.replaceChildren();
  main.appendChild(element("p", doc.info.description, "description"));
  Object.entries(doc.paths).forEach(([path, item]) => {
    Object.entries(item).forEach(([method, op]) => {
      if (typeof op !== "object" || !op.responses) return;
      const section = element("section", null, "operation");
      section.id = op.operationId || method + path;
      const h = element("h2");
      h.appendChild(element("span", method, "method"));
      h.appendChild(element("code", path));
      section.appendChild(h);
      if (op.summary) section.appendChild(element("p", op.summary));
      if (op.description) section.appendChild(element("p", op.description, "description"));
      const params = op.parameters || [];
      if (params.length) {
        section.appendChild(element("h3", "Parameters"));
        section.appendChild(table(["name", "in", "type", "description"], params.map((p) => {
          const resolved = p.$ref ? doc.components.parameters[p.$ref.split("/").pop()] : p;
          return [resolved.name, resolved.in, schemaName(resolved.schema), resolved.description || ""];
        })));
      }
      if (op.requestBody) {
        const content = op.requestBody.content["application/json"];
        section.appendChild(element("h3", "Body"));
        section.appendChild(element("p", "JSON: " + schemaName(content && content.schema)));
      }
      section.appendChild(element("h3", "Answers"));
      section.appendChild(table(["status", "meaning"], Object.entries(op.responses).map(([status, r]) => {
        const resolved = r.$ref ? doc.components.responses[r.$ref.split("/").pop()] : r;
        const content = resolved.content ? Object.values(resolved.content)[0] : null;
        return [status, resolved.description + (content && content.schema ? " — " + schemaName(content.schema) : "")];
      })));
      main.appendChild(section);
    });
  });
  main.appendChild(element("h2", "Schemas"));
  Object.entries(doc.components.schemas).forEach(([name, schema]) => {
    const section = element("section", null, "operation");
    section.id = "schema-" + name;
    section.appendChild(element("h3", name));
    const required = new Set(schema.required || []);
    section.appendChild(table(["field", "type", "required", "description"], Object.entries(schema.properties || {}).map(
      ([field, s]) => [field, schemaName(s), required.has(field) ? "yes" : "", s.description || ""])));
    main.appendChild(section);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("reference");
  fetch(main.dataset.document, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then(render)
    .catch(() => { main.textContent = "The reference could not be loaded; read openapi.json instead."; });
});
