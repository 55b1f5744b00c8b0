// The Next.js app beside the Rust functions. In production Vercel routes each /api/... path that has an
// api/**/*.rs file to that function; locally (scripts/dev) the Rust dev server plays that part, and Next
// forwards those paths to it so the browser sees one origin, as on Vercel.
/** @type {import('next').NextConfig} */
const config = {
  reactStrictMode: true,
  // A second `next dev` in the same checkout (scripts/test's stack, vercel dev) needs its own folder:
  // Next locks its dist folder.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  // `next dev` refuses its dev assets and HMR socket to other origins; behind `vercel dev` the browser is
  // on 127.0.0.1 while Next listens on localhost.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  // No dev-mode badge over the page (and in the browser tests' screenshots).
  devIndicators: false,
  // Only the repository's own files: no remote images, no font downloads.
  images: { unoptimized: true },
  // The client modules live in web/src (one copy, shared with their tests); Next compiles them from source.
  turbopack: { root: import.meta.dirname },
  async rewrites() {
    const api = process.env.MESSAGING_DEV_API_ORIGIN;
    if (process.env.NODE_ENV !== "development" || !api) return [];
    // `fallback`: Next's own route handlers (app/api/...) and pages are matched first.
    return { fallback: [{ source: "/api/:path*", destination: `${api}/api/:path*` }] };
  },
};

export default config;
