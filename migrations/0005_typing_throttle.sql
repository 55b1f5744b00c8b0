-- When a member last caused a server-side `typing` event. Kept on the member
-- row so the 2-second throttle is one conditional UPDATE that holds across
-- function instances (concurrent calls re-check the condition on the row).
ALTER TABLE conversation_members ADD COLUMN last_typing_at timestamptz;
