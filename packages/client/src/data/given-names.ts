// The given names redaction ships with (common given names across Europe, the Americas, Africa and
// Asia, in their usual Latin spelling). A listed given name followed by a capitalised word is taken
// as a person's name; a node adds its own register of full names with `names`. Names that are also
// everyday English words (May, Will, Grace, Mark, ...) are left out: they cost more precision than
// they give recall.
export const SHIPPED_GIVEN_NAMES: readonly string[] = [
  'Aaron', 'Abdul', 'Adam', 'Adrian', 'Ahmed', 'Aiko', 'Aisha', 'Alan', 'Albert', 'Alberto', 'Alejandro', 'Alexander', 'Alexandra', 'Alice', 'Alicia', 'Amara', 'Amelia', 'Amir', 'Ana', 'Andrea',
  'Andreas', 'Andrew', 'Angela', 'Anna', 'Anne', 'Antoine', 'Antonio', 'Arjun', 'Astrid', 'Ayesha', 'Beatriz', 'Benjamin', 'Bernard', 'Bruno', 'Camille', 'Carla', 'Carlos', 'Carmen', 'Caroline', 'Catherine',
  'Charles', 'Charlotte', 'Chen', 'Chloe', 'Christian', 'Christine', 'Clara', 'Claude', 'Daniel', 'David', 'Diego', 'Dmitri', 'Eduardo', 'Elena', 'Elif', 'Elisa', 'Elizabeth', 'Emily', 'Emma', 'Eric',
  'Esther', 'Fatima', 'Felix', 'Fernando', 'Francesca', 'Francisco', 'François', 'Françoise', 'Freya', 'Gabriel', 'Giorgio', 'Giovanni', 'Giulia', 'Greta', 'Hana', 'Hannah', 'Hans', 'Haruto', 'Helen', 'Henrik',
  'Hiroshi', 'Hugo', 'Ibrahim', 'Ines', 'Ingrid', 'Isabel', 'Isabella', 'Ivan', 'Jacques', 'James', 'Jan', 'Javier', 'Jean', 'Jennifer', 'Jessica', 'Joaquin', 'Johan', 'John', 'Jonas', 'Jorge',
  'José', 'Joseph', 'Juan', 'Julia', 'Julien', 'Karim', 'Katarzyna', 'Katja', 'Kenji', 'Kevin', 'Kwame', 'Lars', 'Laura', 'Leila', 'Lena', 'Leon', 'Liam', 'Lin', 'Linda', 'Lisa',
  'Lucas', 'Lucia', 'Luis', 'Luka', 'Magnus', 'Mai', 'Manuel', 'Marco', 'Maria', 'Marie', 'Marta', 'Martin', 'Mateo', 'Matteo', 'Maya', 'Mehmet', 'Mei', 'Michael', 'Miguel', 'Mohammed',
  'Nadia', 'Natalia', 'Nikolai', 'Noah', 'Nora', 'Olga', 'Oliver', 'Olivia', 'Omar', 'Oskar', 'Pablo', 'Paolo', 'Patricia', 'Paul', 'Pavel', 'Pedro', 'Peter', 'Pierre', 'Priya', 'Rafael',
  'Rahul', 'Ravi', 'Robert', 'Rosa', 'Sakura', 'Samuel', 'Sandra', 'Sara', 'Sarah', 'Sebastian', 'Sergei', 'Sofia', 'Sophie', 'Stefan', 'Susan', 'Takeshi', 'Tara', 'Thomas', 'Tomas', 'Umar',
  'Valentina', 'Vera', 'Victor', 'Walter', 'Wei', 'Ximena', 'Yara', 'Yuki', 'Yusuf', 'Zainab', 'Zoe',
];
