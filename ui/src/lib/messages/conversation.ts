// Strings of the everyday gestures in a conversation: the message menu, replies, edits,
// deletions, reactions, typing, read receipts, threads and the message source.

export const conversationEn = {
  "gesture.options": "Options for the message from {user}",
  "gesture.reply": "Reply",
  "gesture.reply_in_thread": "Reply in thread",
  "gesture.edit": "Edit",
  "gesture.delete": "Delete",
  "gesture.copy_text": "Copy text",
  "gesture.copy_link": "Copy link",
  "gesture.view_source": "View source",
  "gesture.react_with": "React with {emoji}",
  "gesture.copied": "Copied.",
  "gesture.copy_failed": "Could not copy.",

  "reply.to": "Replying to {user}",
  "reply.cancel": "Cancel the reply",
  "reply.go_to": "Go to the message from {user}",
  "reply.loading": "Loading the quoted message…",
  "reply.unavailable": "The quoted message is not available.",
  "reply.not_found": "The original message could not be found in the history.",

  "edit.editing": "Editing your message",
  "edit.cancel": "Cancel editing",
  "edit.save": "Save",

  "delete.title": "Delete this message?",
  "delete.explain": "It is deleted for everyone in the conversation.",
  "delete.reason": "Reason (optional)",
  "delete.confirm": "Delete",
  "delete.cancel": "Cancel",

  "reactions.label": "Reactions",
  "reactions.by": "{emoji}, from {people}",
  "reactions.you": "you",

  "mentions.label": "People to mention",
  "mentions.room": "Notify everyone in the room",

  "typing.one": "{user} is typing…",
  "typing.two": "{first} and {second} are typing…",
  "typing.many": "Several people are typing…",

  "receipts.read_by": "Read by {people}",
  "receipts.more": "and {count} more",

  "thread.replies_one": "1 reply in a thread",
  "thread.replies_many": "{count} replies in a thread",
  "thread.latest": "Latest from {user}: {text}",
  "thread.title": "Thread",
  "thread.close": "Close the thread",
  "thread.composer": "Reply in the thread, in {room}",

  "source.title": "Message source",
  "source.decrypted": "Decrypted from an encrypted message.",
  "source.latest_edit": "Latest edit",
  "source.none": "This message has not reached the server yet.",
  "source.close": "Close",
} as const;

export const conversationFr: Record<keyof typeof conversationEn, string> = {
  "gesture.options": "Options du message de {user}",
  "gesture.reply": "Répondre",
  "gesture.reply_in_thread": "Répondre dans un fil",
  "gesture.edit": "Modifier",
  "gesture.delete": "Supprimer",
  "gesture.copy_text": "Copier le texte",
  "gesture.copy_link": "Copier le lien",
  "gesture.view_source": "Voir la source",
  "gesture.react_with": "Réagir avec {emoji}",
  "gesture.copied": "Copié.",
  "gesture.copy_failed": "La copie a échoué.",

  "reply.to": "En réponse à {user}",
  "reply.cancel": "Annuler la réponse",
  "reply.go_to": "Aller au message de {user}",
  "reply.loading": "Chargement du message cité…",
  "reply.unavailable": "Le message cité n'est pas disponible.",
  "reply.not_found": "Le message d'origine est introuvable dans l'historique.",

  "edit.editing": "Modification de votre message",
  "edit.cancel": "Annuler la modification",
  "edit.save": "Enregistrer",

  "delete.title": "Supprimer ce message ?",
  "delete.explain": "Il est supprimé pour tous les participants de la conversation.",
  "delete.reason": "Motif (facultatif)",
  "delete.confirm": "Supprimer",
  "delete.cancel": "Annuler",

  "reactions.label": "Réactions",
  "reactions.by": "{emoji}, de {people}",
  "reactions.you": "vous",

  "mentions.label": "Personnes à mentionner",
  "mentions.room": "Notifier tout le salon",

  "typing.one": "{user} écrit…",
  "typing.two": "{first} et {second} écrivent…",
  "typing.many": "Plusieurs personnes écrivent…",

  "receipts.read_by": "Lu par {people}",
  "receipts.more": "et {count} autres",

  "thread.replies_one": "1 réponse dans un fil",
  "thread.replies_many": "{count} réponses dans un fil",
  "thread.latest": "Dernière de {user} : {text}",
  "thread.title": "Fil de discussion",
  "thread.close": "Fermer le fil",
  "thread.composer": "Répondre dans le fil, dans {room}",

  "source.title": "Source du message",
  "source.decrypted": "Déchiffré à partir d'un message chiffré.",
  "source.latest_edit": "Dernière modification",
  "source.none": "Ce message n'est pas encore arrivé au serveur.",
  "source.close": "Fermer",
};
