//! vercel
