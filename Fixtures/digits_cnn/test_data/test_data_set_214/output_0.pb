
BlogitsJ(рvаBjаРcГа╬~Lаev@A&ню╬~█а╔Ф╧юЩа8Ж╬