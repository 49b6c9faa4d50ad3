import { Elysia } from "elysia";
import cssPath from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
// Embedded in the executable so the page renders offline (the plugin's default loads from a CDN).
import bundlePath from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import presetPath from "swagger-ui-dist/swagger-ui-standalone-preset.js" with { type: "file" };

const assets: Record<string, { path: string; type: string }> = {
  "swagger-ui-bundle.js": { path: bundlePath, type: "text/javascript; charset=utf-8" },
  "swagger-ui-standalone-preset.js": { path: presetPath, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { path: cssPath, type: "text/css; charset=utf-8" },
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>aibridge API</title>
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script src="/swagger/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/swagger/json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>`;

export function swaggerUi() {
  return new Elysia({ name: "swagger-ui" })
    .get("/swagger", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }), {
      detail: { hide: true },
    })
    .get(
      "/swagger/assets/:name",
      ({ params, status }) => {
        // Own names only: `constructor` or `__proto__` are not assets.
        const asset = Object.hasOwn(assets, params.name) ? assets[params.name] : undefined;
        if (!asset) return status(404, { message: "Not found." });
        return new Response(Bun.file(asset.path), {
          headers: { "content-type": asset.type, "cache-control": "public, max-age=86400" },
        });
      },
      { detail: { hide: true } },
    );
}
