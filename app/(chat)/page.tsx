// No conversation open: the list is in the layout.
export default function Home() {
  return <p className="empty">Choose a conversation, or start one.</p>;
}
