// English and French. French on a French system, English elsewhere; every string a person
// reads goes through `t` so that both languages stay complete (i18n.test.ts checks this).

import { ERROR_CODES, type IpcErrorCode } from "./bindings";
import { devicesEn, devicesFr } from "./messages/devices";
import { securityEn, securityFr } from "./messages/security";

const en = {
  ...securityEn,
  ...devicesEn,
  "app.name": "Estafette",
  "signin.title": "Sign in",
  "signin.homeserver": "Homeserver",
  "signin.homeserver_hint": "Optional when your username is a full Matrix ID, like @alice:example.org",
  "signin.username": "Username",
  "signin.username_hint": "alice or @alice:example.org",
  "signin.password": "Password",
  "signin.submit": "Sign in",
  "signin.connecting": "Connecting…",
  "signin.demo_title": "Demo server",
  "signin.demo_text": "Demo accounts {users}, password {password}.",
  "signin.cancel_add": "Back to my accounts",
  "accounts.switcher": "Accounts",
  "accounts.add": "Add another account",
  "accounts.sign_out": "Sign out",
  "accounts.cancel": "Cancel",
  "accounts.sign_out_confirm": "Sign out of {user} on this computer? Its local data is deleted.",
  "accounts.switch_to": "Switch to {user}",
  "sync.offline": "Offline: showing saved messages. Reconnecting…",
  "sync.connecting": "Connecting to the server…",
  "sync.error": "Connection problem, retrying…",
  "sync.session_expired": "This session has ended. Sign out and sign in again.",
  "rooms.list": "Conversations",
  "rooms.filter": "Filter conversations",
  "rooms.invites": "Invitations",
  "rooms.people": "People",
  "rooms.rooms": "Rooms",
  "rooms.empty": "No conversations yet",
  "rooms.no_match": "No conversation matches",
  "rooms.loading": "More conversations are loading…",
  "rooms.loading_count": "More conversations are loading: {received} of {total}",
  "rooms.unread": "{count} unread",
  "rooms.mentions": "{count} mentions",
  "rooms.encrypted": "Encrypted",
  "rooms.invited_by": "Invited by {user}",
  "rooms.start": "Start a conversation",
  "rooms.quick_switcher": "Go to a conversation",
  "rooms.quick_switcher_hint": "Type a name, arrows to choose, Enter to open",
  "start.title": "Start a conversation",
  "start.dm": "Message a person",
  "start.user_id": "Matrix ID of the person",
  "start.user_id_hint": "@bob:example.org",
  "start.open_dm": "Open conversation",
  "start.room": "Create a room",
  "start.room_name": "Room name",
  "start.room_topic": "Topic (optional)",
  "start.room_invite": "Invite (Matrix IDs, separated by commas)",
  "start.room_encrypted": "End-to-end encrypted",
  "start.create_room": "Create room",
  "start.join": "Join a room",
  "start.join_address": "Room address or ID",
  "start.join_submit": "Join",
  "dialog.close": "Close",
  "invite.title": "{user} invited you",
  "invite.accept": "Accept",
  "invite.decline": "Decline",
  "conversation.none": "Choose a conversation",
  "conversation.timeline": "Messages in {room}",
  "conversation.loading_older": "Loading older messages…",
  "conversation.loading_older_failed": "Older messages could not be loaded. Trying again shortly.",
  "conversation.retry_loading_older": "Try now",
  "conversation.start": "This is the start of the conversation.",
  "conversation.jump_latest": "Jump to latest messages",
  "conversation.new_messages": "New messages",
  "composer.label": "Message to {room}",
  "composer.placeholder": "Write a message… (Enter to send, Shift+Enter for a new line)",
  "composer.send": "Send",
  "message.sending": "Sending…",
  "message.failed": "Not sent",
  "message.retry": "Retry",
  "message.cancel": "Cancel sending",
  "message.edited": "(edited)",
  "message.redacted": "Message deleted",
  "message.unsupported": "A {type} event Estafette cannot show yet",
  "message.image": "Image: {name}",
  "message.file": "File: {name}",
  "message.video": "Video: {name}",
  "message.audio": "Audio: {name}",
  "message.encrypted_file": "encrypted",
  "utd.title": "Unable to decrypt this message",
  "utd.unknown": "The keys have not arrived yet; it may decrypt by itself.",
  "utd.sent_before_we_joined": "It was sent before you joined.",
  "utd.verification_violation": "The sender's identity has changed since it was verified.",
  "utd.unsigned_device": "It was sent from a device its owner has not verified.",
  "utd.unknown_device": "It was sent from an unknown device.",
  "utd.historical_message_and_backup_is_disabled": "It is older than this device and key backup is off.",
  "utd.historical_message_and_device_is_unverified": "It is older than this device; verify this device to read it.",
  "utd.withheld_for_unverified_or_insecure_device": "The sender does not share keys with unverified devices.",
  "utd.withheld_by_sender": "The sender withheld the keys.",
  "state.joined": "{user} joined",
  "state.left": "{user} left",
  "state.invited": "{user} was invited",
  "state.invitation_accepted": "{user} accepted the invitation",
  "state.invitation_rejected": "{user} declined the invitation",
  "state.invitation_revoked": "The invitation of {user} was withdrawn",
  "state.kicked": "{user} was removed",
  "state.banned": "{user} was banned",
  "state.kicked_and_banned": "{user} was removed and banned",
  "state.unbanned": "{user} was unbanned",
  "state.knocked": "{user} asked to join",
  "state.knock_accepted": "{user} was let in",
  "state.knock_retracted": "{user} withdrew their request to join",
  "state.knock_denied": "{user} was refused",
  "state.other_membership": "{user}'s membership changed",
  "state.display_name_changed": "{old} is now called {new}",
  "state.display_name_set": "{user} set their name to {new}",
  "state.display_name_removed": "{user} removed their name",
  "state.avatar_changed": "{user} changed their picture",
  "state.room_created": "The room was created",
  "state.room_name_changed": "The room is now called {name}",
  "state.room_name_removed": "The room name was removed",
  "state.room_topic_changed": "The topic is now: {topic}",
  "state.room_topic_removed": "The topic was removed",
  "state.room_avatar_changed": "The room picture changed",
  "state.encryption_enabled": "Messages in this room are end-to-end encrypted",
  "state.other": "Room settings changed ({type})",
  "time.today": "Today",
  "time.yesterday": "Yesterday",
  "error.auth.unknown_server": "This server does not exist. Check the address.",
  "error.auth.server_unreachable": "The server cannot be reached. Check your connection and the address.",
  "error.auth.not_a_matrix_server": "This address is not a Matrix server.",
  "error.auth.no_sliding_sync": "This server is too old for Estafette (no Simplified Sliding Sync).",
  "error.auth.wrong_credentials": "Wrong username or password.",
  "error.auth.rate_limited": "Too many attempts. Wait a moment and try again.",
  "error.auth.account_deactivated": "This account has been deactivated.",
  "error.auth.session_expired": "Your session has expired. Sign in again.",
  "error.secrets.keychain_unavailable": "The system keychain is not available, so Estafette cannot keep your session safe.",
  "error.room.invalid_user_id": "This is not a valid Matrix ID (@name:server).",
  "error.room.not_found": "This room does not exist or you cannot join it.",
  "error.room.forbidden": "You are not allowed to do this in this room.",
  "error.app.subscription_closed": "This view was closed. Open it again.",
  "error.link.unsupported_scheme": "This kind of link is not opened, for your safety.",
  "error.auth.invalid_input": "This username or server address is not valid.",
  "error.auth.homeserver_required": "Enter your homeserver, or your full Matrix ID (@name:server).",
  "error.auth.password_login_unsupported": "This server does not accept passwords.",
  "error.auth.server_error": "The server answered with an error. Try again later.",
  "error.auth.store_failed": "Your session could not be saved on this computer.",
  "error.secrets.access_denied": "Access to the system keychain was refused.",
  "error.secrets.damaged": "The saved session in the keychain is damaged. Sign in again.",
  "error.secrets.failed": "The system keychain failed.",
  "error.secrets.missing": "The saved session is missing from the keychain. Sign in again.",
  "error.room.offline": "You are offline. Try again when the connection is back.",
  "error.room.invalid_room_id": "This is not a valid room address (#room:server or !id:server).",
  "error.room.server_error": "The server answered with an error. Try again later.",
  "error.timeline.open_failed": "This conversation could not be opened.",
  "error.timeline.pagination_failed": "Older messages could not be loaded.",
  "error.timeline.send_failed": "The message could not be queued.",
  "error.timeline.room_not_found": "This conversation no longer exists here.",
  "error.account.not_found": "This account is no longer signed in.",
  "error.storage.failed": "Estafette's local data could not be read or written.",
  "error.timeline.unsent_message_not_found": "This message has already been sent or removed.",
  "error.timeline.receipt_failed": "The others could not be told that you have read this conversation.",
  "error.media.invalid_address": "This media address is not valid.",
  "error.media.not_an_image": "This message holds no image.",
  "error.media.fetch_failed": "The file could not be downloaded. Try again later.",
  "error.sync.failed": "Synchronisation could not start. Restart Estafette.",
  "error.link.invalid": "This link is not a valid address.",
  "error.link.open_failed": "This link could not be opened.",
  "viewer.open": "View picture: {name}",
  "viewer.position": "{index} of {count}",
  "viewer.previous": "Previous",
  "viewer.next": "Next",
  "viewer.zoom": "Zoom",
  "viewer.save": "Save",
  "viewer.close": "Close",
  "files.attach": "Attach files",
  "files.send_title": "Send to {room}",
  "files.caption": "Caption (optional)",
  "files.keep_metadata": "Keep location and camera details in photos",
  "files.keep_metadata_hint": "Off, photos are sent without where and how they were taken.",
  "files.send": "Send",
  "files.cancel": "Cancel",
  "files.sending": "Sending {name}…",
  "files.uploading": "Uploading: {percent}%",
  "files.download": "Download {name}",
  "files.downloading": "Downloading…",
  "files.saved": "Saved as {name} in {folder}",
  "files.open": "Open",
  "files.show": "Show in folder",
  "files.drop_hint": "Drop files on the window to send them",
  "error.file.unknown": "This file is no longer available. Choose it again.",
  "error.file.open_failed": "The file could not be opened.",
  "error.media.no_attachment": "This message has no file.",
  "error.media.too_large": "This file is larger than the server accepts.",
  "error.media.read_failed": "The file could not be read.",
  "error.media.upload_failed": "The file could not be queued for sending.",
  "error.media.write_failed": "The file could not be saved.",
  "error.media.damaged": "The file is damaged or was altered on its way. It was not saved.",
  "error.media.offline": "You are offline. Try again when the connection is back.",
  "error.media.too_large_to_show": "This picture is too large to show here. Download it to open it.",
  "error.unknown": "Something went wrong: {message}",
  "error.dismiss": "Dismiss",
} as const;

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  ...securityFr,
  ...devicesFr,
  "app.name": "Estafette",
  "signin.title": "Connexion",
  "signin.homeserver": "Serveur d'accueil",
  "signin.homeserver_hint": "Facultatif si votre identifiant est un identifiant Matrix complet, comme @alice:exemple.fr",
  "signin.username": "Identifiant",
  "signin.username_hint": "alice ou @alice:exemple.fr",
  "signin.password": "Mot de passe",
  "signin.submit": "Se connecter",
  "signin.connecting": "Connexion en cours…",
  "signin.demo_title": "Serveur de démonstration",
  "signin.demo_text": "Comptes de démonstration {users}, mot de passe {password}.",
  "signin.cancel_add": "Revenir à mes comptes",
  "accounts.switcher": "Comptes",
  "accounts.add": "Ajouter un autre compte",
  "accounts.sign_out": "Se déconnecter",
  "accounts.cancel": "Annuler",
  "accounts.sign_out_confirm": "Déconnecter {user} de cet ordinateur ? Ses données locales seront effacées.",
  "accounts.switch_to": "Passer à {user}",
  "sync.offline": "Hors ligne : messages enregistrés affichés. Reconnexion…",
  "sync.connecting": "Connexion au serveur…",
  "sync.error": "Problème de connexion, nouvel essai…",
  "sync.session_expired": "Cette session a pris fin. Déconnectez-vous puis reconnectez-vous.",
  "rooms.list": "Conversations",
  "rooms.filter": "Filtrer les conversations",
  "rooms.invites": "Invitations",
  "rooms.people": "Personnes",
  "rooms.rooms": "Salons",
  "rooms.empty": "Aucune conversation pour l'instant",
  "rooms.no_match": "Aucune conversation ne correspond",
  "rooms.loading": "D'autres conversations arrivent…",
  "rooms.loading_count": "D'autres conversations arrivent : {received} sur {total}",
  "rooms.unread": "{count} non lus",
  "rooms.mentions": "{count} mentions",
  "rooms.encrypted": "Chiffré",
  "rooms.invited_by": "Invitation de {user}",
  "rooms.start": "Démarrer une conversation",
  "rooms.quick_switcher": "Aller à une conversation",
  "rooms.quick_switcher_hint": "Tapez un nom, flèches pour choisir, Entrée pour ouvrir",
  "start.title": "Démarrer une conversation",
  "start.dm": "Écrire à une personne",
  "start.user_id": "Identifiant Matrix de la personne",
  "start.user_id_hint": "@bob:exemple.fr",
  "start.open_dm": "Ouvrir la conversation",
  "start.room": "Créer un salon",
  "start.room_name": "Nom du salon",
  "start.room_topic": "Sujet (facultatif)",
  "start.room_invite": "Inviter (identifiants Matrix séparés par des virgules)",
  "start.room_encrypted": "Chiffré de bout en bout",
  "start.create_room": "Créer le salon",
  "start.join": "Rejoindre un salon",
  "start.join_address": "Adresse ou identifiant du salon",
  "start.join_submit": "Rejoindre",
  "dialog.close": "Fermer",
  "invite.title": "{user} vous a invité",
  "invite.accept": "Accepter",
  "invite.decline": "Refuser",
  "conversation.none": "Choisissez une conversation",
  "conversation.timeline": "Messages de {room}",
  "conversation.loading_older": "Chargement des messages précédents…",
  "conversation.loading_older_failed": "Les messages précédents n’ont pas pu être chargés. Nouvel essai dans un instant.",
  "conversation.retry_loading_older": "Réessayer maintenant",
  "conversation.start": "Début de la conversation.",
  "conversation.jump_latest": "Aller aux derniers messages",
  "conversation.new_messages": "Nouveaux messages",
  "composer.label": "Message à {room}",
  "composer.placeholder": "Écrivez un message… (Entrée pour envoyer, Maj+Entrée pour aller à la ligne)",
  "composer.send": "Envoyer",
  "message.sending": "Envoi…",
  "message.failed": "Non envoyé",
  "message.retry": "Réessayer",
  "message.cancel": "Annuler l'envoi",
  "message.edited": "(modifié)",
  "message.redacted": "Message supprimé",
  "message.unsupported": "Un événement {type} qu'Estafette ne sait pas encore afficher",
  "message.image": "Image : {name}",
  "message.file": "Fichier : {name}",
  "message.video": "Vidéo : {name}",
  "message.audio": "Audio : {name}",
  "message.encrypted_file": "chiffré",
  "utd.title": "Impossible de déchiffrer ce message",
  "utd.unknown": "Les clés ne sont pas encore arrivées ; il pourra se déchiffrer de lui-même.",
  "utd.sent_before_we_joined": "Il a été envoyé avant votre arrivée.",
  "utd.verification_violation": "L'identité de l'expéditeur a changé depuis sa vérification.",
  "utd.unsigned_device": "Il a été envoyé d'un appareil que son propriétaire n'a pas vérifié.",
  "utd.unknown_device": "Il a été envoyé d'un appareil inconnu.",
  "utd.historical_message_and_backup_is_disabled": "Il est antérieur à cet appareil et la sauvegarde des clés est désactivée.",
  "utd.historical_message_and_device_is_unverified": "Il est antérieur à cet appareil ; vérifiez cet appareil pour le lire.",
  "utd.withheld_for_unverified_or_insecure_device": "L'expéditeur ne partage pas ses clés avec les appareils non vérifiés.",
  "utd.withheld_by_sender": "L'expéditeur a retenu les clés.",
  "state.joined": "{user} a rejoint le salon",
  "state.left": "{user} est parti",
  "state.invited": "{user} a été invité",
  "state.invitation_accepted": "{user} a accepté l'invitation",
  "state.invitation_rejected": "{user} a refusé l'invitation",
  "state.invitation_revoked": "L'invitation de {user} a été retirée",
  "state.kicked": "{user} a été exclu",
  "state.banned": "{user} a été banni",
  "state.kicked_and_banned": "{user} a été exclu et banni",
  "state.unbanned": "{user} n'est plus banni",
  "state.knocked": "{user} demande à rejoindre",
  "state.knock_accepted": "{user} a été admis",
  "state.knock_retracted": "{user} a retiré sa demande",
  "state.knock_denied": "{user} a été refusé",
  "state.other_membership": "L'appartenance de {user} a changé",
  "state.display_name_changed": "{old} s'appelle désormais {new}",
  "state.display_name_set": "{user} a choisi le nom {new}",
  "state.display_name_removed": "{user} a retiré son nom",
  "state.avatar_changed": "{user} a changé sa photo",
  "state.room_created": "Le salon a été créé",
  "state.room_name_changed": "Le salon s'appelle désormais {name}",
  "state.room_name_removed": "Le nom du salon a été retiré",
  "state.room_topic_changed": "Le sujet est désormais : {topic}",
  "state.room_topic_removed": "Le sujet a été retiré",
  "state.room_avatar_changed": "L'image du salon a changé",
  "state.encryption_enabled": "Les messages de ce salon sont chiffrés de bout en bout",
  "state.other": "Réglages du salon modifiés ({type})",
  "time.today": "Aujourd'hui",
  "time.yesterday": "Hier",
  "error.auth.unknown_server": "Ce serveur n'existe pas. Vérifiez l'adresse.",
  "error.auth.server_unreachable": "Le serveur est injoignable. Vérifiez votre connexion et l'adresse.",
  "error.auth.not_a_matrix_server": "Cette adresse n'est pas celle d'un serveur Matrix.",
  "error.auth.no_sliding_sync": "Ce serveur est trop ancien pour Estafette (pas de Simplified Sliding Sync).",
  "error.auth.wrong_credentials": "Identifiant ou mot de passe incorrect.",
  "error.auth.rate_limited": "Trop de tentatives. Patientez un instant puis réessayez.",
  "error.auth.account_deactivated": "Ce compte a été désactivé.",
  "error.auth.session_expired": "Votre session a expiré. Reconnectez-vous.",
  "error.secrets.keychain_unavailable": "Le trousseau du système n'est pas disponible : Estafette ne peut pas protéger votre session.",
  "error.room.invalid_user_id": "Ce n'est pas un identifiant Matrix valide (@nom:serveur).",
  "error.room.not_found": "Ce salon n'existe pas ou vous ne pouvez pas le rejoindre.",
  "error.room.forbidden": "Vous n'avez pas le droit de faire cela dans ce salon.",
  "error.app.subscription_closed": "Cette vue a été fermée. Rouvrez-la.",
  "error.link.unsupported_scheme": "Ce type de lien n'est pas ouvert, pour votre sécurité.",
  "error.auth.invalid_input": "Cet identifiant ou cette adresse de serveur n'est pas valide.",
  "error.auth.homeserver_required": "Indiquez votre serveur d'accueil, ou votre identifiant Matrix complet (@nom:serveur).",
  "error.auth.password_login_unsupported": "Ce serveur n'accepte pas les mots de passe.",
  "error.auth.server_error": "Le serveur a répondu par une erreur. Réessayez plus tard.",
  "error.auth.store_failed": "Votre session n'a pas pu être enregistrée sur cet ordinateur.",
  "error.secrets.access_denied": "L'accès au trousseau du système a été refusé.",
  "error.secrets.damaged": "La session enregistrée dans le trousseau est endommagée. Reconnectez-vous.",
  "error.secrets.failed": "Le trousseau du système a échoué.",
  "error.secrets.missing": "La session enregistrée manque dans le trousseau. Reconnectez-vous.",
  "error.room.offline": "Vous êtes hors ligne. Réessayez quand la connexion sera revenue.",
  "error.room.invalid_room_id": "Ce n'est pas une adresse de salon valide (#salon:serveur ou !id:serveur).",
  "error.room.server_error": "Le serveur a répondu par une erreur. Réessayez plus tard.",
  "error.timeline.open_failed": "Cette conversation n'a pas pu être ouverte.",
  "error.timeline.pagination_failed": "Les messages précédents n'ont pas pu être chargés.",
  "error.timeline.send_failed": "Le message n'a pas pu être mis en file d'envoi.",
  "error.timeline.room_not_found": "Cette conversation n'existe plus ici.",
  "error.account.not_found": "Ce compte n'est plus connecté.",
  "error.storage.failed": "Les données locales d'Estafette n'ont pas pu être lues ou écrites.",
  "error.timeline.unsent_message_not_found": "Ce message a déjà été envoyé ou retiré.",
  "error.timeline.receipt_failed": "Les autres n'ont pas pu être informés que vous avez lu cette conversation.",
  "error.media.invalid_address": "Cette adresse de média n'est pas valide.",
  "error.media.not_an_image": "Ce message ne contient pas d'image.",
  "error.media.fetch_failed": "Le fichier n'a pas pu être téléchargé. Réessayez plus tard.",
  "error.sync.failed": "La synchronisation n'a pas pu démarrer. Redémarrez Estafette.",
  "error.link.invalid": "Ce lien n'est pas une adresse valide.",
  "error.link.open_failed": "Ce lien n'a pas pu être ouvert.",
  "viewer.open": "Voir l'image : {name}",
  "viewer.position": "{index} sur {count}",
  "viewer.previous": "Précédente",
  "viewer.next": "Suivante",
  "viewer.zoom": "Zoom",
  "viewer.save": "Enregistrer",
  "viewer.close": "Fermer",
  "files.attach": "Joindre des fichiers",
  "files.send_title": "Envoyer à {room}",
  "files.caption": "Légende (facultative)",
  "files.keep_metadata": "Garder le lieu et l'appareil des photos",
  "files.keep_metadata_hint": "Sinon, les photos partent sans dire où ni comment elles ont été prises.",
  "files.send": "Envoyer",
  "files.cancel": "Annuler",
  "files.sending": "Envoi de {name}…",
  "files.uploading": "Envoi : {percent} %",
  "files.download": "Télécharger {name}",
  "files.downloading": "Téléchargement…",
  "files.saved": "Enregistré sous {name} dans {folder}",
  "files.open": "Ouvrir",
  "files.show": "Afficher dans le dossier",
  "files.drop_hint": "Déposez des fichiers sur la fenêtre pour les envoyer",
  "error.file.unknown": "Ce fichier n'est plus disponible. Choisissez-le à nouveau.",
  "error.file.open_failed": "Le fichier n'a pas pu être ouvert.",
  "error.media.no_attachment": "Ce message ne contient pas de fichier.",
  "error.media.too_large": "Ce fichier dépasse la taille acceptée par le serveur.",
  "error.media.read_failed": "Le fichier n'a pas pu être lu.",
  "error.media.upload_failed": "Le fichier n'a pas pu être mis en file d'envoi.",
  "error.media.write_failed": "Le fichier n'a pas pu être enregistré.",
  "error.media.damaged": "Le fichier est endommagé ou a été modifié en chemin. Il n'a pas été enregistré.",
  "error.media.offline": "Vous êtes hors ligne. Réessayez quand la connexion sera revenue.",
  "error.media.too_large_to_show": "Cette image est trop grande pour être affichée ici. Téléchargez-la pour l'ouvrir.",
  "error.unknown": "Une erreur est survenue : {message}",
  "error.dismiss": "Fermer",
};

export const dictionaries = { en, fr } as const;
export type Language = keyof typeof dictionaries;

/** French on a French system; English otherwise. */
export function pickLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split(/[-_]/)[0];
    if (base === "fr") return "fr";
    if (base === "en") return "en";
  }
  return "en";
}

/** Until the shell says what the system prefers, the webview's guess. */
export let language: Language = pickLanguage(
  typeof navigator === "undefined" ? [] : navigator.languages ?? [navigator.language],
);

/** The system's languages as the shell reads them (webviews may ignore the user's locale). */
export function useSystemLanguages(tags: readonly string[]): void {
  if (tags.length > 0) language = pickLanguage(tags);
  if (typeof document !== "undefined") document.documentElement.lang = language;
}

export function translate(
  lang: Language,
  key: MessageKey,
  params: Record<string, string | number> = {},
): string {
  const template: string = dictionaries[lang][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(language, key, params);
}

function isErrorCode(code: string): code is IpcErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * A failure in the user's language. Every code a command can fail with has its text: the type
 * checker refuses `error.${code}` for a code without one. Anything else (a failure outside the
 * shell's commands) shows its English message.
 */
export function errorText(error: { code: string; message: string }): string {
  if (isErrorCode(error.code)) return t(`error.${error.code}`);
  return t("error.unknown", { message: error.message });
}

/** Whatever a command threw, in the user's language. */
export function failureText(failure: unknown): string {
  if (typeof failure === "object" && failure !== null && "code" in failure && "message" in failure) {
    return errorText({ code: String(failure.code), message: String(failure.message) });
  }
  return String(failure);
}

/** A file size as people read it: "512 bytes", "1.4 MB". */
export function formatSize(bytes: number): string {
  const units = language === "fr" ? ["octets", "Ko", "Mo", "Go"] : ["bytes", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
  return `${number} ${units[unit]}`;
}

export function formatTime(timestampMs: number): string {
  return new Intl.DateTimeFormat(language, { hour: "2-digit", minute: "2-digit" }).format(
    new Date(timestampMs),
  );
}

export function formatDay(timestampMs: number, now = new Date()): string {
  const day = new Date(timestampMs);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const startOfDay = new Date(day.getFullYear(), day.getMonth(), day.getDate()).getTime();
  const days = Math.round((startOfToday - startOfDay) / 86_400_000);
  if (days === 0) return t("time.today");
  if (days === 1) return t("time.yesterday");
  return new Intl.DateTimeFormat(language, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: day.getFullYear() === now.getFullYear() ? undefined : "numeric",
  }).format(day);
}
