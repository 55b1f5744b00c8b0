// One message row (text only: bodies are React text children, never HTML) and one pending send.
import type { PendingMessage } from "@messaging/client/message-store";
import type { Message } from "@messaging/client/types";

const QUICK_EMOJI = ["👍", "❤️", "😂", "🎉"];

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : timeFormat.format(date);
}

interface MessageProps {
  message: Message;
  mine: boolean;
  me: string;
  seenBy: string[];
  onReact: (emoji: string) => void;
}

export function MessageItem({ message, mine, me, seenBy, onReact }: MessageProps) {
  const reactions = message.reactions ?? [];
  const sender = message.sender.name ?? message.sender.id;
  const button = (emoji: string, count: number, pressed: boolean) => (
    <button
      key={emoji}
      type="button"
      className="reaction"
      aria-pressed={pressed}
      aria-label={`${pressed ? "Remove" : "Add"} reaction ${emoji}${count ? `, ${count} so far` : ""}`}
      data-testid="reaction"
      data-emoji={emoji}
      onClick={() => onReact(emoji)}
    >
      {emoji}
      {count > 0 && <span className="count">{count}</span>}
    </button>
  );
  return (
    <li className={`message ${mine ? "mine" : "theirs"}`} data-testid="message" data-seq={message.seq} data-id={message.id}>
      <div className="meta">
        <span className="sender">{mine ? "You" : sender}</span>{" "}
        <time dateTime={message.created_at}>{formatTime(message.created_at)}</time>
      </div>
      <p className="body" data-testid="message-body">
        {message.body}
      </p>
      {reactions.length > 0 && (
        <div className="reactions" role="group" aria-label="Reactions">
          {reactions.map((r) => button(r.emoji, r.count, r.user_ids.includes(me)))}
        </div>
      )}
      {/* Shown on hover or keyboard focus, laid over the bubble so it takes no room. */}
      <div className="quick-reactions" role="group" aria-label={`React to the message from ${mine ? "you" : sender}`}>
        {QUICK_EMOJI.filter((e) => !reactions.some((r) => r.emoji === e)).map((e) => button(e, 0, false))}
      </div>
      {seenBy.length > 0 && (
        <p className="seen" data-testid="seen">
          Seen{seenBy.length > 1 ? ` by ${seenBy.join(", ")}` : ""}
        </p>
      )}
    </li>
  );
}

export function PendingItem({ pending, onRetry, onDiscard }: { pending: PendingMessage; onRetry: () => void; onDiscard?: () => void }) {
  return (
    <li className={`message mine pending ${pending.status}`} data-testid="pending-message" data-client-id={pending.clientMessageId}>
      <div className="meta">
        <span className="sender">You</span> <span className="status">{pending.status === "sending" ? "Sending…" : "Not sent"}</span>
      </div>
      <p className="body">{pending.body}</p>
      {pending.status === "failed" && (
        <p className="failure">
          <span role="alert">{pending.error}</span>{" "}
          <button type="button" onClick={onRetry} data-testid="retry">
            Retry
          </button>
          {onDiscard && (
            <button type="button" onClick={onDiscard} data-testid="discard">
              Discard
            </button>
          )}
        </p>
      )}
    </li>
  );
}
