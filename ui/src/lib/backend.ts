// The only module that talks to the Tauri shell. Views call these functions; live data comes
// back through channels, one per subscription, closed with `Live.close()`.

import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type AccountInfo,
  type RestoredAccounts,
  type CallRecord,
  type CallVideoFrame,
  type CallView,
  type ChosenFile,
  type ClipboardContent,
  type DownloadProgress,
  type PastedFile,
  type SavedFile,
  type IdentityWarning,
  type IncomingVerification,
  type SecurityStatus,
  type VerificationId,
  type VerificationState,
  type LaunchInfo,
  type ServerInfo,
  type PasswordPolicy,
  type ListDiff,
  type NewRoom,
  type RoomListLoading,
  type RoomListQuery,
  type RoomSummary,
  type SyncState,
  type TimelineItem,
  type OutgoingMessage,
  type Draft,
  type Directory,
  type InviteRefused,
  type LinkTarget,
  type Member,
  type Permissions,
  type UploadProgress,
  type DesktopNotification,
  type Notice,
  type NotificationLevel,
  type NotificationTarget,
  type Preferences,
  type PublicRoom,
  type RoomKind,
  type TrayContent,
  type UnreadTotals,
  type HistoryReaders,
  type LeaveWarning,
  type Role,
  type RoomAccess,
  type RoomDetails,
  type RoomPerson,
  type Trust,
} from "./bindings";

export type RoomListUpdate = ListDiff<RoomSummary>[];
export type TimelineUpdate = ListDiff<TimelineItem>[];

/** A failed command: `code` is stable (translated by `errorText`), `message` is English. */
export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "BackendError";
  }
}

function toBackendError(error: unknown): BackendError {
  if (error instanceof BackendError) return error;
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    return new BackendError(String(error.code), String(error.message));
  }
  return new BackendError("app.unexpected", String(error));
}

async function call<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw toBackendError(error);
  }
}

/** A live subscription; updates stop after `close()`. */
export interface Live {
  readonly id: number;
  close(): void;
}

async function subscribe<T>(
  onUpdate: (update: T) => void,
  open: (channel: Channel<T>) => Promise<number>,
): Promise<Live> {
  let closed = false;
  const channel = new Channel<T>();
  channel.onmessage = (update) => {
    if (!closed) onUpdate(update);
  };
  const id = await call(open(channel));
  return {
    id,
    close() {
      if (closed) return;
      closed = true;
      void commands.unsubscribe(id).catch(() => undefined);
    },
  };
}

function progressChannel(onProgress: (progress: DownloadProgress) => void): Channel<DownloadProgress> {
  const channel = new Channel<DownloadProgress>();
  channel.onmessage = onProgress;
  return channel;
}

let transfersStarted = 0;

/** A name for a download or an upload, to cancel it; unique for the page's life. */
export function newTransferName(): string {
  transfersStarted += 1;
  return `transfer-${Date.now()}-${transfersStarted}`;
}

export const backend = {
  launchInfo: (): Promise<LaunchInfo> => call(commands.launchInfo()),
  /** Copies the recovery key; the shell empties the clipboard a minute later. */
  copyRecoveryKey: (recoveryKey: string) => call(commands.copyRecoveryKey(recoveryKey)),
  restoredAccounts: (): Promise<RestoredAccounts> => call(commands.restoredAccounts()),
  retryRestore: (account: string): Promise<AccountInfo> => call(commands.retryRestore(account)),
  signIn: (homeserver: string | null, username: string, password: string) =>
    call(commands.signIn({ homeserver, username, password })),
  /** What the server offers to sign in with (password, single sign-on and its providers). */
  signInOptions: (homeserver: string | null): Promise<ServerInfo> =>
    call(commands.signInOptions(homeserver, "")),
  /** Opens the system browser at the server's sign-in page; resolves once it came back. */
  signInWithSso: (homeserver: string | null, username: string | null, provider: string | null) =>
    call(commands.signInWithSso({ homeserver, username, provider })),
  cancelSsoSignIn: () => call(commands.cancelSsoSignIn()),
  signOut: (account: string) => call(commands.signOut(account)),
  requestRenewalEmail: (account: string) => call(commands.requestRenewalEmail(account)),
  retrySync: (account: string) => call(commands.retrySync(account)),

  watchSyncState: (account: string, onUpdate: (state: SyncState) => void) =>
    subscribe(onUpdate, (channel) => commands.watchSyncState(account, channel)),

  watchRoomList: (account: string, query: RoomListQuery, onUpdate: (update: RoomListUpdate) => void) =>
    subscribe(onUpdate, (channel) => commands.watchRoomList(account, query, channel)),
  watchRoomListLoading: (account: string, onUpdate: (state: RoomListLoading) => void) =>
    subscribe(onUpdate, (channel) => commands.watchRoomListLoading(account, channel)),
  setRoomListQuery: (live: Live, query: RoomListQuery) =>
    call(commands.setRoomListQuery(live.id, query)),
  loadMoreRooms: (live: Live) => call(commands.loadMoreRooms(live.id)),

  /** The system's file dialog; the page gets numbered files, never paths. */
  chooseFiles: (): Promise<ChosenFile[]> => call(commands.chooseFiles()),
  /** Files dropped on the window, each time; a later call replaces the earlier listener. */
  watchDroppedFiles: (onDrop: (files: ChosenFile[]) => void): Promise<void> => {
    const channel = new Channel<ChosenFile[]>();
    channel.onmessage = onDrop;
    return call(commands.watchDroppedFiles(channel));
  },
  /** Files pasted in the page, kept by the shell (in memory) until sent like chosen ones. */
  pasteFiles: (files: PastedFile[]): Promise<ChosenFile[]> => call(commands.pasteFiles(files)),
  /** What the system's clipboard holds that the page could not see (WebKitGTK). */
  pasteFromClipboard: (): Promise<ClipboardContent> => call(commands.pasteFromClipboard()),
  /** Sends a file; a large one tells `onProgress` how far its upload is, and can be stopped
   * with `cancelTransfer(upload)` (then `null`). */
  sendChosenFile: (
    account: string,
    roomId: string,
    file: number,
    caption: string | null,
    keepMetadata: boolean,
    upload: string,
    onProgress: (progress: UploadProgress) => void,
  ) => {
    const channel = new Channel<UploadProgress>();
    channel.onmessage = onProgress;
    return call(commands.sendChosenFile(account, roomId, file, caption, keepMetadata, upload, channel));
  },
  /** Saves into the Downloads folder; `null` when cancelled with `cancelTransfer(download)`. */
  downloadFile: (
    account: string,
    roomId: string,
    eventId: string,
    download: string,
    onProgress: (progress: DownloadProgress) => void,
  ): Promise<SavedFile | null> =>
    call(commands.downloadFile(account, roomId, eventId, download, progressChannel(onProgress))),
  /** Saves where the user says; `null` when they cancel, in the dialog or after. */
  saveFileAs: (
    account: string,
    roomId: string,
    eventId: string,
    name: string,
    download: string,
    onProgress: (progress: DownloadProgress) => void,
  ): Promise<SavedFile | null> =>
    call(commands.saveFileAs(account, roomId, eventId, name, download, progressChannel(onProgress))),
  /** Stops a download or an upload named by `newTransferName`. */
  cancelTransfer: (transfer: string) => call(commands.cancelTransfer(transfer)),
  openSavedFile: (file: number) => call(commands.openSavedFile(file)),
  showSavedFile: (file: number) => call(commands.showSavedFile(file)),

  createDirectMessage: (account: string, userId: string) =>
    call(commands.createDirectMessage(account, userId)),
  createRoom: (account: string, room: NewRoom) => call(commands.createRoom(account, room)),
  acceptInvite: (account: string, roomId: string) => call(commands.acceptInvite(account, roomId)),
  declineInvite: (account: string, roomId: string) => call(commands.declineInvite(account, roomId)),
  /** By ID, alias or link; `via`: servers to join through, besides those a link names. */
  joinRoom: (account: string, room: string, via: string[] = []) => call(commands.joinRoom(account, room, via)),
  /** People whose name or Matrix ID holds `term` (a full ID the directory lacks is offered too). */
  searchPeople: (account: string, term: string): Promise<Directory> => call(commands.searchPeople(account, term)),
  /** The server's public rooms whose name, topic or address holds `search` (the first ones for ""). */
  publicRooms: (account: string, search: string): Promise<PublicRoom[]> => call(commands.publicRooms(account, search)),
  /** Invites each person; returns those the server refused, with why (the others are invited). */
  invitePeople: (account: string, roomId: string, userIds: string[]): Promise<InviteRefused[]> =>
    call(commands.invitePeople(account, roomId, userIds)),
  leaveRoom: (account: string, roomId: string) => call(commands.leaveRoom(account, roomId)),
  /** Leaves the room if need be, and forgets it: gone from every list of the account. */
  forgetRoom: (account: string, roomId: string) => call(commands.forgetRoom(account, roomId)),
  /** The account's tags, shared with Element: a favourite is no longer low priority, and back. */
  setRoomFavourite: (account: string, roomId: string, favourite: boolean) =>
    call(commands.setRoomFavourite(account, roomId, favourite)),
  setRoomLowPriority: (account: string, roomId: string, lowPriority: boolean) =>
    call(commands.setRoomLowPriority(account, roomId, lowPriority)),
  /** A reminder to come back to the room, shared with Element and every device. */
  markRoomAsUnread: (account: string, roomId: string) => call(commands.markRoomAsUnread(account, roomId)),
  /** Their messages hidden and invitations refused, on every device of the account. */
  ignoreUser: (account: string, userId: string) => call(commands.ignoreUser(account, userId)),
  unignoreUser: (account: string, userId: string) => call(commands.unignoreUser(account, userId)),
  ignoredUsers: (account: string) => call(commands.ignoredUsers(account)),

  /** A room's details now, then at each change (its info panel, its settings). */
  watchRoomDetails: (account: string, roomId: string, onUpdate: (details: RoomDetails) => void) =>
    subscribe(onUpdate, (channel) => commands.watchRoomDetails(account, roomId, channel)),
  /** A room's people as diffs: the whole list first (`reset`), then changes. */
  watchRoomPeople: (account: string, roomId: string, onUpdate: (diffs: ListDiff<RoomPerson>[]) => void) =>
    subscribe(onUpdate, (channel) => commands.watchRoomPeople(account, roomId, channel)),
  setRoomName: (account: string, roomId: string, name: string) => call(commands.setRoomName(account, roomId, name)),
  setRoomTopic: (account: string, roomId: string, topic: string) => call(commands.setRoomTopic(account, roomId, topic)),
  /** `file`: an ID from `chooseFiles`. */
  setRoomAvatar: (account: string, roomId: string, file: number) => call(commands.setRoomAvatar(account, roomId, file)),
  removeRoomAvatar: (account: string, roomId: string) => call(commands.removeRoomAvatar(account, roomId)),
  setRoomAccess: (account: string, roomId: string, access: RoomAccess) =>
    call(commands.setRoomAccess(account, roomId, access)),
  roomListedInDirectory: (account: string, roomId: string) => call(commands.roomListedInDirectory(account, roomId)),
  setRoomListedInDirectory: (account: string, roomId: string, listed: boolean) =>
    call(commands.setRoomListedInDirectory(account, roomId, listed)),
  setRoomHistory: (account: string, roomId: string, readers: HistoryReaders) =>
    call(commands.setRoomHistory(account, roomId, readers)),
  enableRoomEncryption: (account: string, roomId: string) => call(commands.enableRoomEncryption(account, roomId)),
  setMemberRole: (account: string, roomId: string, userId: string, role: Role) =>
    call(commands.setMemberRole(account, roomId, userId, role)),
  removeMember: (account: string, roomId: string, userId: string, reason: string | null) =>
    call(commands.removeMember(account, roomId, userId, reason)),
  banMember: (account: string, roomId: string, userId: string, reason: string | null) =>
    call(commands.banMember(account, roomId, userId, reason)),
  unbanMember: (account: string, roomId: string, userId: string) => call(commands.unbanMember(account, roomId, userId)),
  acceptKnock: (account: string, roomId: string, userId: string) => call(commands.acceptKnock(account, roomId, userId)),
  refuseKnock: (account: string, roomId: string, userId: string, reason: string | null) =>
    call(commands.refuseKnock(account, roomId, userId, reason)),
  /** Asks to join a room by address or link; returns its ID. */
  knockRoom: (account: string, address: string, reason: string | null, via: string[]) =>
    call(commands.knockRoom(account, address, reason, via)),
  leaveWarning: (account: string, roomId: string): Promise<LeaveWarning> => call(commands.leaveWarning(account, roomId)),
  trustInUser: (account: string, userId: string): Promise<Trust> => call(commands.trustInUser(account, userId)),

  openTimeline: (account: string, roomId: string, onUpdate: (update: TimelineUpdate) => void) =>
    subscribe(onUpdate, (channel) => commands.openTimeline(account, roomId, channel)),
  paginateBackwards: (live: Live, count: number) =>
    call(commands.paginateBackwards(live.id, count)),
  openThread: (account: string, roomId: string, rootEventId: string, onUpdate: (update: TimelineUpdate) => void) =>
    subscribe(onUpdate, (channel) => commands.openThread(account, roomId, rootEventId, channel)),
  openTimelineAround: (account: string, roomId: string, eventId: string, onUpdate: (update: TimelineUpdate) => void) =>
    subscribe(onUpdate, (channel) => commands.openTimelineAround(account, roomId, eventId, channel)),
  paginateForwards: (live: Live, count: number) => call(commands.paginateForwards(live.id, count)),
  sendMessage: (live: Live, message: OutgoingMessage) => call(commands.sendMessage(live.id, message)),
  editMessage: (live: Live, target: string, message: OutgoingMessage) =>
    call(commands.editMessage(live.id, target, message)),
  deleteMessage: (live: Live, target: string, reason: string | null) =>
    call(commands.deleteMessage(live.id, target, reason)),
  toggleReaction: (live: Live, target: string, key: string) =>
    call(commands.toggleReaction(live.id, target, key)),
  loadQuote: (live: Live, replyEventId: string) => call(commands.loadQuote(live.id, replyEventId)),
  eventSource: (live: Live, target: string) => call(commands.eventSource(live.id, target)),
  /** The conversation's people, now and after each change. */
  watchMembers: (live: Live, onUpdate: (members: Member[]) => void) =>
    subscribe(onUpdate, (channel) => commands.watchMembers(live.id, channel)),
  /** What the user may do in the conversation, now and after each change. */
  watchPermissions: (live: Live, onUpdate: (permissions: Permissions) => void) =>
    subscribe(onUpdate, (channel) => commands.watchPermissions(live.id, channel)),
  setTyping: (live: Live, typing: boolean) => call(commands.setTyping(live.id, typing)),
  watchTyping: (live: Live, onUpdate: (userIds: string[]) => void) =>
    subscribe(onUpdate, (channel) => commands.watchTyping(live.id, channel)),
  markReadUpTo: (live: Live, eventId: string) => call(commands.markReadUpTo(live.id, eventId)),
  sendReadReceipt: (live: Live) => call(commands.sendReadReceipt(live.id)),
  loadDraft: (live: Live) => call(commands.loadDraft(live.id)),
  saveDraft: (live: Live, draft: Draft) => call(commands.saveDraft(live.id, draft)),
  roomMembers: (account: string, roomId: string) => call(commands.roomMembers(account, roomId)),
  markRoomAsRead: (account: string, roomId: string) => call(commands.markRoomAsRead(account, roomId)),
  retrySend: (live: Live, transactionId: string) =>
    call(commands.retrySend(live.id, transactionId)),
  cancelSend: (live: Live, transactionId: string) =>
    call(commands.cancelSend(live.id, transactionId)),
  markAsRead: (live: Live) => call(commands.markAsRead(live.id)),

  openLink: (url: string) => call(commands.openLink(url)),
  /** What a link points at when the app opens it itself (a person, a room, a message). */
  linkTarget: (href: string): Promise<LinkTarget | null> => call(commands.linkTarget(href)),

  // End-to-end encryption. Passwords and passphrases are passed through, never kept.
  watchSecurityStatus: (account: string, onUpdate: (status: SecurityStatus) => void) =>
    subscribe(onUpdate, (channel) => commands.watchSecurityStatus(account, channel)),
  setUpRecovery: (account: string, password: string | null) =>
    call(commands.setUpRecovery(account, password)),
  saveRecoveryKey: (recoveryKey: string) => call(commands.saveRecoveryKey(recoveryKey)),
  recover: (account: string, recoveryKey: string) => call(commands.recover(account, recoveryKey)),
  resetIdentity: (account: string, password: string | null) =>
    call(commands.resetIdentity(account, password)),
  signOutRisk: (account: string) => call(commands.signOutRisk(account)),

  watchIncomingVerifications: (account: string, onUpdate: (request: IncomingVerification) => void) =>
    subscribe(onUpdate, (channel) => commands.watchIncomingVerifications(account, channel)),
  verifyThisDevice: (account: string) => call(commands.verifyThisDevice(account)),
  verifyOwnDevice: (account: string, deviceId: string) =>
    call(commands.verifyOwnDevice(account, deviceId)),
  verifyUser: (account: string, userId: string) => call(commands.verifyUser(account, userId)),
  watchVerification: (account: string, flow: VerificationId, onUpdate: (state: VerificationState) => void) =>
    subscribe(onUpdate, (channel) => commands.watchVerification(account, flow, channel)),
  acceptVerification: (account: string, flow: VerificationId) =>
    call(commands.acceptVerification(account, flow)),
  confirmVerification: (account: string, flow: VerificationId) =>
    call(commands.confirmVerification(account, flow)),
  rejectVerification: (account: string, flow: VerificationId) =>
    call(commands.rejectVerification(account, flow)),
  cancelVerification: (account: string, flow: VerificationId) =>
    call(commands.cancelVerification(account, flow)),

  ownDevices: (account: string) => call(commands.ownDevices(account)),
  renameDevice: (account: string, deviceId: string, name: string) =>
    call(commands.renameDevice(account, deviceId, name)),
  signOutDevices: (account: string, deviceIds: string[], password: string | null) =>
    call(commands.signOutDevices(account, deviceIds, password)),
  exportRoomKeys: (account: string, passphrase: string) =>
    call(commands.exportRoomKeys(account, passphrase)),
  importRoomKeys: (account: string, contents: string, passphrase: string) =>
    call(commands.importRoomKeys(account, contents, passphrase)),

  watchIdentityWarnings: (account: string, roomId: string, onUpdate: (warnings: IdentityWarning[]) => void) =>
    subscribe(onUpdate, (channel) => commands.watchIdentityWarnings(account, roomId, channel)),
  acknowledgeIdentityChange: (account: string, userId: string) =>
    call(commands.acknowledgeIdentityChange(account, userId)),

  // Notifications: the account's alerts, the system's notifications, the server's levels.
  watchNotices: (account: string, onNotice: (notice: Notice) => void) =>
    subscribe(onNotice, (channel) => commands.watchNotices(account, channel)),
  showNotification: (notification: DesktopNotification, openLabel: string) =>
    call(commands.showNotification(notification, openLabel)),
  closeNotification: (account: string, roomId: string) => call(commands.closeNotification(account, roomId)),
  /** Clicked notifications; a later call replaces the earlier listener. */
  watchNotificationClicks: (onClick: (target: NotificationTarget) => void): Promise<void> => {
    const channel = new Channel<NotificationTarget>();
    channel.onmessage = onClick;
    return call(commands.watchNotificationClicks(channel));
  },
  roomNotificationLevel: (account: string, roomId: string) => call(commands.roomNotificationLevel(account, roomId)),
  /** `null`: the room follows the default again. */
  setRoomNotificationLevel: (account: string, roomId: string, level: NotificationLevel | null) =>
    call(commands.setRoomNotificationLevel(account, roomId, level)),
  notificationDefaults: (account: string) => call(commands.notificationDefaults(account)),
  setNotificationDefault: (account: string, kind: RoomKind, level: NotificationLevel) =>
    call(commands.setNotificationDefault(account, kind, level)),
  notificationKeywords: (account: string) => call(commands.notificationKeywords(account)),
  addNotificationKeyword: (account: string, keyword: string) => call(commands.addNotificationKeyword(account, keyword)),
  removeNotificationKeyword: (account: string, keyword: string) =>
    call(commands.removeNotificationKeyword(account, keyword)),

  // Calls: the account's calls live, the gestures, and the video of the call going on.
  watchCalls: (account: string, onUpdate: (calls: CallView[]) => void) =>
    subscribe(onUpdate, (channel) => commands.watchCalls(account, channel)),
  /** The call's video frames, still encoded; a later call replaces the earlier listener. */
  watchCallVideo: (onFrame: (frame: CallVideoFrame) => void): Promise<void> => {
    const channel = new Channel<CallVideoFrame>();
    channel.onmessage = onFrame;
    return call(commands.watchCallVideo(channel));
  },
  placeCall: (account: string, roomId: string, video: boolean) => call(commands.placeCall(account, roomId, video)),
  acceptCall: (account: string, callId: string, video: boolean) => call(commands.acceptCall(account, callId, video)),
  declineCall: (account: string, callId: string) => call(commands.declineCall(account, callId)),
  hangUpCall: (account: string, callId: string) => call(commands.hangUpCall(account, callId)),
  setCallMicrophoneMuted: (account: string, callId: string, muted: boolean) =>
    call(commands.setCallMicrophoneMuted(account, callId, muted)),
  setCallCameraOn: (account: string, callId: string, on: boolean) => call(commands.setCallCameraOn(account, callId, on)),
  dismissCall: (account: string, callId: string) => call(commands.dismissCall(account, callId)),
  /** The calls of a conversation and what became of each; then each change. */
  watchCallHistory: (account: string, roomId: string, onUpdate: (records: CallRecord[]) => void) =>
    subscribe(onUpdate, (channel) => commands.watchCallHistory(account, roomId, channel)),
  /** The microphones, cameras and speakers this computer offers now. */
  callDevices: () => call(commands.callDevices()),

  /** The account's unread totals now, then each time they change. */
  watchUnreadTotals: (account: string, onUpdate: (totals: UnreadTotals) => void) =>
    subscribe(onUpdate, (channel) => commands.watchUnreadTotals(account, channel)),
  /** The tray's icon, tooltip and menu, and the taskbar's badge. */
  updateTray: (content: TrayContent) => call(commands.updateTray(content)),

  /** This machine's settings (the account's own live on the server). */
  preferences: (): Promise<Preferences> => call(commands.preferences()),
  setPreferences: (preferences: Preferences) => call(commands.setPreferences(preferences)),

  ownProfile: (account: string) => call(commands.ownProfile(account)),
  setDisplayName: (account: string, name: string) => call(commands.setDisplayName(account, name)),
  passwordPolicy: (account: string): Promise<PasswordPolicy> => call(commands.passwordPolicy(account)),
  changePassword: (account: string, current: string, next: string, signOutOtherDevices: boolean) =>
    call(commands.changePassword(account, { current, new: next, sign_out_other_devices: signOutOtherDevices })),
  /** `file`: a number from `chooseFiles`. */
  setAvatar: (account: string, file: number) => call(commands.setAvatar(account, file)),
  removeAvatar: (account: string) => call(commands.removeAvatar(account)),
};

const isWindows = typeof navigator !== "undefined" && /Windows/.test(navigator.userAgent);
/** Custom schemes are `scheme://localhost/` on Linux and macOS, `http://scheme.localhost/` on Windows. */
const mediaBase = isWindows ? "http://estafette-media.localhost/" : "estafette-media://localhost/";

/** URL of a square thumbnail of an `mxc://` URI (avatars, inline images), served by the shell. */
export function thumbnailUrl(account: string, mxc: string, size = 96): string {
  return `${mediaBase}${encodeURIComponent(account)}/thumbnail/${encodeURIComponent(mxc)}?size=${size}`;
}

/** URL of an image message (its thumbnail by default), decrypted by the shell. */
/** A video or voice message, decrypted by the shell; the page fetches it whole to play it. */
export function eventPlayUrl(account: string, roomId: string, eventId: string): string {
  return `${mediaBase}${encodeURIComponent(account)}/play/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`;
}

export function eventImageUrl(account: string, roomId: string, eventId: string, thumbnail = true): string {
  return `${mediaBase}${encodeURIComponent(account)}/image/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}${thumbnail ? "?thumbnail=1" : ""}`;
}
