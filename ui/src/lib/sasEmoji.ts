// French names of the 64 SAS emoji, by their index in the Matrix specification's table
// (English names come from the core, as the spec gives them).

const french = [
  "Chien", "Chat", "Lion", "Cheval", "Licorne", "Cochon", "Éléphant", "Lapin",
  "Panda", "Coq", "Manchot", "Tortue", "Poisson", "Poulpe", "Papillon", "Fleur",
  "Arbre", "Cactus", "Champignon", "Globe", "Lune", "Nuage", "Feu", "Banane",
  "Pomme", "Fraise", "Maïs", "Pizza", "Gâteau", "Cœur", "Sourire", "Robot",
  "Chapeau", "Lunettes", "Clé à molette", "Père Noël", "Pouce levé", "Parapluie", "Sablier", "Horloge",
  "Cadeau", "Ampoule", "Livre", "Crayon", "Trombone", "Ciseaux", "Cadenas", "Clé",
  "Marteau", "Téléphone", "Drapeau", "Train", "Vélo", "Avion", "Fusée", "Trophée",
  "Ballon", "Guitare", "Trompette", "Cloche", "Ancre", "Casque audio", "Dossier", "Punaise",
] as const;

export function emojiName(index: number, english: string, lang: string): string {
  return lang === "fr" ? (french[index] ?? english) : english;
}
