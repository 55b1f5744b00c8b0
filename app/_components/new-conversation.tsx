"use client";
// Starting a conversation: POST /api/conversations with the other members' ids (and an optional title).
// With one other member the server returns the pair's existing conversation instead of a second one.
import { type FormEvent, useState } from "react";

export interface Suggestion {
  id: string;
  name: string;
}

export function NewConversation({ suggestions, onStarted }: { suggestions: Suggestion[]; onStarted: (conversationId: number) => void }) {
  const [members, setMembers] = useState("");
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ids = members
      .split(/[\s,]+/)
      .map((id) => id.trim())
      .filter(Boolean);
    if (ids.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const response = await fetch("/api/conversations", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(title.trim() ? { member_ids: ids, title: title.trim() } : { member_ids: ids }),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
      setMembers("");
      setTitle("");
      onStarted(body.conversation.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="new-conversation" onSubmit={(e) => void submit(e)} aria-labelledby="new-conversation-title" data-testid="new-conversation">
      <h2 id="new-conversation-title">Start a conversation</h2>
      <label htmlFor="new-conversation-members">With (user ids, comma-separated)</label>
      <input
        id="new-conversation-members"
        data-testid="new-conversation-members"
        list="known-users"
        value={members}
        autoComplete="off"
        onChange={(e) => setMembers(e.target.value)}
      />
      {suggestions.length > 0 && (
        <datalist id="known-users">
          {suggestions.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </datalist>
      )}
      <label htmlFor="new-conversation-title-input">Title (optional)</label>
      <input id="new-conversation-title-input" data-testid="new-conversation-title" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />
      <button type="submit" data-testid="new-conversation-start" disabled={busy || members.trim() === ""}>
        {busy ? "Starting…" : "Start"}
      </button>
      {suggestions.length > 0 && <p className="hint">Demo users: {suggestions.map((s) => s.id).join(", ")}</p>}
      {error && (
        <p role="alert" className="error" data-testid="new-conversation-error">
          {error}
        </p>
      )}
    </form>
  );
}
