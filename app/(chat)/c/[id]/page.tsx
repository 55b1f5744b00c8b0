// One open conversation, by id; the list in the layout stays mounted while moving between conversations.
import { notFound } from "next/navigation";
import { OpenConversation } from "../../../_components/open-conversation";

export default async function ConversationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const conversationId = Number(id);
  if (!/^[1-9]\d{0,15}$/.test(id) || !Number.isSafeInteger(conversationId)) notFound();
  return <OpenConversation id={conversationId} />;
}
