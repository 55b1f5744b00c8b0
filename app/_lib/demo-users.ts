// The demo users the dev server seeds (devserver/dev_login.rs); on Vercel the functions create a user the
// first time its session is seen, so they need no seeding there.
export const DEMO_USERS = [
  { as: "student", id: "u_student", name: "Sam Student", role: "student", label: "Sam Student (student)" },
  { as: "teacher", id: "u_teacher", name: "Taylor Teacher", role: "teacher", label: "Taylor Teacher (teacher)" },
  { as: "outsider", id: "u_outsider", name: "Olive Outsider", role: "student", label: "Olive Outsider (no shared conversation)" },
] as const;
